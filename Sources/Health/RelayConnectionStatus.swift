/// The connection status of a remote relay in the sync engine (the seed's ConnectionStatus).
/// Raw values are the `ngit_sync_relay_connected` gauge encoding, which is binding.
public enum RelayConnectionStatus: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case disconnected = 0
    case connecting = 1
    /// Connected, historic sync in progress.
    case syncing = 2
    /// Historic sync complete, live sync active.
    case connected = 3
    /// Live sync active, but some historic batches failed (missing historic data).
    case connectedHistoricSyncFailures = 4
    /// Being dropped on purpose because nothing targets it any more.
    case disconnecting = 5

    /// The gauge value.
    public var metricValue: Int { rawValue }

    /// Whether a WebSocket is open (syncing or connected).
    public var isConnected: Bool { self == .syncing || self == .connected || self == .connectedHistoricSyncFailures }

    public var description: String {
        switch self {
        case .disconnected: return "Disconnected"
        case .connecting: return "Connecting"
        case .syncing: return "Syncing"
        case .connected: return "Connected"
        case .connectedHistoricSyncFailures: return "ConnectedHistoricSyncFailures"
        case .disconnecting: return "Disconnecting"
        }
    }
}
