/// `(created_at, id)` pairs for negentropy, kept flat (one array of timestamps, one of id
/// bytes) so a million items cost two allocations. In ascending order unless they were
/// listed unordered (``EventStore/idListing(for:maxItems:ordered:)``).
public struct StoredIDList: Sendable, Equatable {
    /// Timestamps, in listing order.
    public var timestamps: [UInt64] = []
    /// 32 bytes per item, in the same order.
    public var idBytes: [UInt8] = []

    public init() {}

    /// Number of items.
    public var count: Int { timestamps.count }

    /// The id of item `index`.
    public func id(at index: Int) -> ArraySlice<UInt8> { idBytes[(index * 32)..<(index * 32 + 32)] }

    /// Appends an item (caller keeps the order).
    public mutating func append(timestamp: UInt64, id: some Collection<UInt8>) {
        timestamps.append(timestamp)
        idBytes.append(contentsOf: id)
    }
}

/// The result of listing ids for a negentropy session.
public enum StoredIDListing: Sendable, Equatable {
    case items(StoredIDList)
    /// More than the permitted number of items match (answer `blocked:` with the maximum).
    case tooMany(limit: Int)
}
