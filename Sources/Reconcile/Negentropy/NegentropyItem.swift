/// One record in a negentropy set: a timestamp and a 32-byte id.
///
/// Items sort by timestamp, then by id bytes (lexical). The timestamp `UInt64.max`
/// is reserved for "infinity" and is rejected by ``NegentropyStorage``.
public struct NegentropyItem: Hashable, Comparable, Sendable {
    /// Record timestamp (a Nostr `created_at`), 0...2^64-2.
    public let timestamp: UInt64
    /// Record id.
    public let id: NegentropyID

    /// Creates an item.
    public init(timestamp: UInt64, id: NegentropyID) {
        self.timestamp = timestamp
        self.id = id
    }

    /// Timestamp first, then id bytes.
    public static func < (a: NegentropyItem, b: NegentropyItem) -> Bool {
        a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.id < b.id
    }
}
