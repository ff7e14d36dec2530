/// Why a WebSocket upgrade was refused with 503 (metrics label `reason`).
public enum ConnectionRefusal: String, Sendable, CaseIterable, Error {
    /// The client IP already holds `maxConnectionsPerIP` connections.
    case perIP = "per_ip"
    /// The relay already holds `maxConnections` connections.
    case total
}
