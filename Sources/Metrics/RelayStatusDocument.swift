import Foundation

/// The JSON document served on `GET /status`: every tracked relay's sync and health state,
/// and node-wide totals.
///
/// Built from the same ``SyncMetricsSnapshot`` the metrics are set from, so `/status` and
/// `/metrics` agree. Top-level keys: `generated_at` (Unix seconds), `relays` (sorted by
/// URL, see ``RelayMetricsSnapshot``'s coding), `totals` (``RelayStatusTotals``) and, when the node
/// supplies it, `node` (``RelayStatusNode``: version, uptime, stored events by kind). ``jsonData()``
/// encodes with sorted keys, so equal documents encode to equal bytes.
///
/// ```json
/// {"generated_at":1700000000,"relays":[{"confirmed_repos":3,"confirmed_root_events":7,
///  "consecutive_failures":0,"health":"healthy","health_code":1,"last_error":null,
///  "next_retry_at":null,"pending_batches":2,"status":"Syncing","status_code":2,
///  "url":"wss://relay.example.com"}],"totals":{…}}
/// ```
public struct RelayStatusDocument: Sendable, Equatable, Codable {
    /// The HTTP `Content-Type` of the document.
    public static let contentType = "application/json; charset=utf-8"

    /// When the snapshot was taken (Unix seconds).
    public var generatedAt: Double
    /// One entry per tracked relay, sorted by URL.
    public var relays: [RelayMetricsSnapshot]
    /// Node-wide totals.
    public var totals: RelayStatusTotals
    /// The node itself (version, uptime, stored events); nil when not supplied.
    public var node: RelayStatusNode?

    /// Builds the document of `snapshot`, taken at `generatedAt` (Unix seconds).
    public init(snapshot: SyncMetricsSnapshot, generatedAt: Double, node: RelayStatusNode? = nil) {
        self.generatedAt = generatedAt
        relays = snapshot.distinctRelays
        totals = RelayStatusTotals(snapshot)
        self.node = node
    }

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case relays, totals, node
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        generatedAt = try container.decode(Double.self, forKey: .generatedAt)
        relays = try container.decode([RelayMetricsSnapshot].self, forKey: .relays)
        totals = try container.decode(RelayStatusTotals.self, forKey: .totals)
        node = try container.decodeIfPresent(RelayStatusNode.self, forKey: .node)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(generatedAt, forKey: .generatedAt)
        try container.encode(relays, forKey: .relays)
        try container.encode(totals, forKey: .totals)
        try container.encodeIfPresent(node, forKey: .node)
    }

    /// The document as JSON with sorted keys (and `/` not escaped).
    ///
    /// - Parameter prettyPrinted: indent for humans; compact by default.
    public func jsonData(prettyPrinted: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = prettyPrinted
            ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Decodes a document produced by ``jsonData(prettyPrinted:)``.
    public static func decode(from data: Data) throws -> RelayStatusDocument {
        try JSONDecoder().decode(RelayStatusDocument.self, from: data)
    }
}
