import Health
import Nostr

/// The relay's entry in the `/status` document (``RelayStatusDocument``).
///
/// JSON keys are snake_case: `url`, `status` (the seed's status name, e.g. `"Syncing"`,
/// `"ConnectedHistoricSyncFailures"`), `status_code` (the `ngit_sync_relay_connected` value),
/// `health` (e.g. `"degraded"`, `"rate_limited"`), `health_code` (the
/// `ngit_sync_relay_status` value), `consecutive_failures`, `next_retry_at` (Unix seconds or
/// `null` when an attempt is allowed now), `confirmed_repos`, `confirmed_root_events`,
/// `pending_batches`, `last_error` (text or `null`) and `sync_mode` (`"nip77"`, `"req"` or
/// `null` while not known yet). Optional values are written as `null`, never left out, so
/// the document's shape does not depend on the relay's state. Decoding reads the status by
/// name (the codes are ignored) and refuses an unknown name or an invalid URL.
extension RelayMetricsSnapshot: Codable {
    enum CodingKeys: String, CodingKey {
        case url, status, health
        case statusCode = "status_code"
        case healthCode = "health_code"
        case consecutiveFailures = "consecutive_failures"
        case nextRetryAt = "next_retry_at"
        case confirmedRepos = "confirmed_repos"
        case confirmedRootEvents = "confirmed_root_events"
        case pendingBatches = "pending_batches"
        case lastError = "last_error"
        case syncMode = "sync_mode"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .url)
        guard let url = RelayURL(text) else {
            throw DecodingError.dataCorruptedError(forKey: .url, in: container, debugDescription: "invalid relay URL \(text)")
        }
        let statusName = try container.decode(String.self, forKey: .status)
        guard let status = RelayConnectionStatus.allCases.first(where: { $0.description == statusName }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: container, debugDescription: "unknown connection status \(statusName)")
        }
        self.init(
            url: url, connectionStatus: status,
            health: try container.decode(RelayHealthStatus.self, forKey: .health),
            consecutiveFailures: try container.decode(Int.self, forKey: .consecutiveFailures),
            nextRetryAt: try container.decodeIfPresent(Double.self, forKey: .nextRetryAt),
            confirmedRepos: try container.decode(Int.self, forKey: .confirmedRepos),
            confirmedRootEvents: try container.decode(Int.self, forKey: .confirmedRootEvents),
            pendingBatches: try container.decode(Int.self, forKey: .pendingBatches),
            lastError: try container.decodeIfPresent(String.self, forKey: .lastError))
        syncMode = try container.decodeIfPresent(RelaySyncMode.self, forKey: .syncMode)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url.description, forKey: .url)
        try container.encode(connectionStatus.description, forKey: .status)
        try container.encode(connectionStatus.rawValue, forKey: .statusCode)
        try container.encode(health, forKey: .health)
        try container.encode(health.rawValue, forKey: .healthCode)
        try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(nextRetryAt, forKey: .nextRetryAt)
        try container.encode(confirmedRepos, forKey: .confirmedRepos)
        try container.encode(confirmedRootEvents, forKey: .confirmedRootEvents)
        try container.encode(pendingBatches, forKey: .pendingBatches)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(syncMode, forKey: .syncMode)
    }
}
