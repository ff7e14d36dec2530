import Health

/// One relay in the `/status` document (``RelayStatusDocument``).
///
/// JSON keys are snake_case: `url`, `status` (the seed's status name, e.g. `"Syncing"`,
/// `"ConnectedHistoricSyncFailures"`), `status_code` (the `ngit_sync_relay_connected` value),
/// `health` (e.g. `"degraded"`, `"rate_limited"`), `health_code` (the
/// `ngit_sync_relay_status` value), `consecutive_failures`, `next_retry_at` (Unix seconds or
/// `null` when an attempt is allowed now), `confirmed_repos`, `confirmed_root_events`,
/// `pending_batches`, `last_error` (text or `null`) and `sync_mode` (`"nip77"`, `"req"` or
/// `null` while not known yet). Optional values are written as
/// `null`, never left out, so the document's shape does not depend on the relay's state.
public struct RelayStatusEntry: Sendable, Equatable, Codable {
    /// The normalised relay URL.
    public var url: String
    /// The connection status.
    public var status: RelayConnectionStatus
    /// The derived health.
    public var health: RelayHealthStatus
    /// Consecutive failures not yet forgiven.
    public var consecutiveFailures: Int
    /// When the next attempt is allowed (Unix seconds), `nil` if allowed now.
    public var nextRetryAt: Double?
    /// Repositories whose sync the relay has confirmed.
    public var confirmedRepos: Int
    /// Root events whose sync the relay has confirmed.
    public var confirmedRootEvents: Int
    /// Historic batches in flight.
    public var pendingBatches: Int
    /// The most recent failure text.
    public var lastError: String?
    /// NIP-77 or REQ/EOSE for historic batches (nil: not known yet).
    public var syncMode: RelaySyncMode?

    /// Creates the entry of `relay`.
    public init(_ relay: RelayMetricsSnapshot) {
        url = relay.url.description
        status = relay.connectionStatus
        health = relay.health
        consecutiveFailures = relay.consecutiveFailures
        nextRetryAt = relay.nextRetryAt
        confirmedRepos = relay.confirmedRepos
        confirmedRootEvents = relay.confirmedRootEvents
        pendingBatches = relay.pendingBatches
        lastError = relay.lastError
        syncMode = relay.syncMode
    }

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

    /// Decodes an entry; `status` is read by name (the codes are ignored).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        let statusName = try container.decode(String.self, forKey: .status)
        guard let status = RelayConnectionStatus.allCases.first(where: { $0.description == statusName }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .status, in: container, debugDescription: "unknown connection status \(statusName)")
        }
        self.status = status
        health = try container.decode(RelayHealthStatus.self, forKey: .health)
        consecutiveFailures = try container.decode(Int.self, forKey: .consecutiveFailures)
        nextRetryAt = try container.decodeIfPresent(Double.self, forKey: .nextRetryAt)
        confirmedRepos = try container.decode(Int.self, forKey: .confirmedRepos)
        confirmedRootEvents = try container.decode(Int.self, forKey: .confirmedRootEvents)
        pendingBatches = try container.decode(Int.self, forKey: .pendingBatches)
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        syncMode = try container.decodeIfPresent(RelaySyncMode.self, forKey: .syncMode)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(url, forKey: .url)
        try container.encode(status.description, forKey: .status)
        try container.encode(status.rawValue, forKey: .statusCode)
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
