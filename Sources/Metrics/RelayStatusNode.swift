/// The node's own part of the `/status` document (``RelayStatusDocument/node``).
///
/// JSON keys: `version`, `started_at` (Unix seconds), `uptime_seconds`, `stored_events` and
/// `events_by_kind` (kind as a decimal string → stored events of that kind).
public struct RelayStatusNode: Sendable, Equatable, Codable {
    public var version: String
    public var startedAt: Double
    public var uptimeSeconds: Double
    public var storedEvents: Int
    public var eventsByKind: [String: Int]

    public init(version: String, startedAt: Double, now: Double, eventsByKind: [(kind: Int, count: Int)]) {
        self.version = version
        self.startedAt = startedAt
        uptimeSeconds = max(0, now - startedAt)
        storedEvents = eventsByKind.reduce(0) { $0 + $1.count }
        self.eventsByKind = Dictionary(eventsByKind.map { (String($0.kind), $0.count) }, uniquingKeysWith: +)
    }

    /// `eventsByKind` as numbers, ascending kind.
    public var kindCounts: [(kind: Int, count: Int)] {
        eventsByKind.compactMap { key, value in Int(key).map { (kind: $0, count: value) } }.sorted { $0.kind < $1.kind }
    }

    enum CodingKeys: String, CodingKey {
        case version
        case startedAt = "started_at"
        case uptimeSeconds = "uptime_seconds"
        case storedEvents = "stored_events"
        case eventsByKind = "events_by_kind"
    }
}
