/// A range boundary on the wire: a timestamp plus an id prefix of 0...32 bytes.
///
/// Missing id bytes count as zero, so the bound compares like the item
/// `(timestamp, prefix + zero padding)`. `idLength` only matters for encoding.
struct NegentropyBound: Sendable {
    var timestamp: UInt64
    /// The prefix, zero padded to 32 bytes.
    var id: NegentropyID
    /// Number of id bytes carried on the wire.
    var idLength: Int

    init(timestamp: UInt64, id: NegentropyID = .zero, idLength: Int = 0) {
        self.timestamp = timestamp
        self.id = id
        self.idLength = idLength
    }

    /// The full 32-byte bound of an item (used when a responder cuts an IdList short).
    init(_ item: NegentropyItem) {
        self.init(timestamp: item.timestamp, id: item.id, idLength: 32)
    }

    /// `(infinity, empty prefix)`: the end of the key space.
    static let infinity = NegentropyBound(timestamp: .max)

    /// `(0, empty prefix)`: the start of the key space.
    static let zero = NegentropyBound(timestamp: 0)

    /// True when `item` sorts before this bound.
    func isAbove(_ item: NegentropyItem) -> Bool {
        item.timestamp != timestamp ? item.timestamp < timestamp : item.id < id
    }

    /// The shortest bound that separates `previous` (below) from `current` (at or above):
    /// just the timestamp when they differ, else the timestamp with `current`'s id up to
    /// and including the first byte where the ids differ.
    static func minimal(between previous: NegentropyItem, and current: NegentropyItem) -> NegentropyBound {
        if current.timestamp != previous.timestamp {
            return NegentropyBound(timestamp: current.timestamp)
        }
        let shared = current.id.sharedPrefixLength(with: previous.id)
        // Sealed storage has no duplicates, so shared < 32; min() guards the API anyway.
        let length = min(shared + 1, 32)
        return NegentropyBound(timestamp: current.timestamp, id: current.id.masked(toPrefix: length), idLength: length)
    }
}
