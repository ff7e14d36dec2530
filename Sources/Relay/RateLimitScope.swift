/// Which write budget refused an event (metrics label `scope`).
public enum RateLimitScope: String, Sendable, CaseIterable {
    /// The connection's own bucket.
    case connection
    /// The bucket shared by every connection of the client IP.
    case ip
}
