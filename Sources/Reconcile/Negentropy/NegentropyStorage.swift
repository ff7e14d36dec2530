/// A sorted, sealed vector of items with precomputed fingerprint prefix sums.
///
/// Fill it with ``insert(timestamp:id:)`` and call ``seal()`` (or use
/// ``init(sealing:)``). Sealing sorts the items, rejects duplicates and computes
/// running 256-bit id sums at every ``prefixStride``-th item, so the fingerprint of any
/// index range costs one subtraction, at most `2 × (prefixStride - 1)` additions and one
/// SHA-256, and bounds are found by binary search.
///
/// Memory: 40 bytes per item plus 1 byte per item of sparse sums (a served session over
/// 100,000 events holds about 4 MB; a dense sum per item would add 32 bytes each).
///
/// A value type with copy-on-write arrays: copies share the sealed data.
public struct NegentropyStorage: Sendable {
    var items: [NegentropyItem] = []
    /// `prefixSums[k]` is the sum of the ids of `items[0..<(k * prefixStride)]`;
    /// `count / prefixStride + 1` entries once sealed.
    var prefixSums: [NegentropyAccumulator] = []
    /// Items per stored prefix sum.
    public static let prefixStride = 32
    /// True once ``seal()`` has run; no more inserts are accepted.
    public private(set) var isSealed = false

    /// Creates an empty, unsealed storage.
    public init() {}

    /// Creates a sealed storage from `items` in any order.
    /// - Throws: ``NegentropyError/duplicateItemInserted``, ``NegentropyError/reservedTimestamp``.
    ///
    /// The array is kept as given, spare capacity included: copying it to its exact size
    /// would hold both copies for a moment (at a million items, 40 MB more at the peak of a
    /// relay-wide session); a caller that wants no spare capacity passes none.
    public init(sealing items: [NegentropyItem]) throws(NegentropyError) {
        for item in items where item.timestamp == .max { throw .reservedTimestamp }
        self.items = items
        try seal(trimmingSpareCapacity: false)
    }

    /// Creates a sealed storage from flat columns, in any order: `timestamps[i]` with the
    /// 32 bytes at `idBytes[32 * i ..< 32 * i + 32]` (how a store lists ids for a NEG-OPEN).
    /// - Throws: as ``init(sealing:)``.
    public init(sealingTimestamps timestamps: [UInt64], idBytes: [UInt8]) throws(NegentropyError) {
        precondition(idBytes.count == timestamps.count * 32, "32 id bytes per timestamp")
        let items = idBytes.withUnsafeBytes { raw in
            timestamps.indices.map { NegentropyItem(timestamp: timestamps[$0], id: NegentropyID(loadingFrom: raw, offset: $0 * 32)) }
        }
        try self.init(sealing: items)
    }

    /// Number of items.
    public var count: Int { items.count }

    /// Reserves room for `n` items before a run of inserts.
    public mutating func reserveCapacity(_ n: Int) {
        items.reserveCapacity(n)
    }

    /// Adds an item. Order does not matter; ``seal()`` sorts.
    /// - Throws: ``NegentropyError/alreadySealed``; ``NegentropyError/reservedTimestamp`` for `UInt64.max`.
    public mutating func insert(timestamp: UInt64, id: NegentropyID) throws(NegentropyError) {
        guard !isSealed else { throw .alreadySealed }
        guard timestamp != .max else { throw .reservedTimestamp }
        items.append(NegentropyItem(timestamp: timestamp, id: id))
    }

    /// Sorts the items, rejects duplicates and precomputes the fingerprint sums.
    /// - Throws: ``NegentropyError/alreadySealed``, ``NegentropyError/duplicateItemInserted``.
    public mutating func seal() throws(NegentropyError) {
        try seal(trimmingSpareCapacity: true)
    }

    /// ``seal()``; `trimmingSpareCapacity`: copy items grown by inserts to their exact size.
    private mutating func seal(trimmingSpareCapacity: Bool) throws(NegentropyError) {
        guard !isSealed else { throw .alreadySealed }
        let n = items.count
        // Callers often load rows already ordered by (created_at, id); skip the sort then.
        let alreadySorted = items.withUnsafeBufferPointer { buf in
            var i = 1
            while i < n && !(buf[i] < buf[i - 1]) { i += 1 }
            return i >= n
        }
        if !alreadySorted { items.sort() }

        var duplicate = false
        let stride = Self.prefixStride
        let sums = items.withUnsafeBufferPointer { buf in
            [NegentropyAccumulator](unsafeUninitializedCapacity: n / stride + 1) { out, initialized in
                var acc = NegentropyAccumulator()
                out.initializeElement(at: 0, to: acc)
                var k = 1
                for i in 0..<n {
                    if i > 0 && buf[i] == buf[i - 1] { duplicate = true }
                    acc.add(buf[i].id)
                    if (i + 1) % stride == 0 {
                        out.initializeElement(at: k, to: acc)
                        k += 1
                    }
                }
                initialized = k
            }
        }
        if trimmingSpareCapacity && items.capacity > n + n / 8 + 16 {
            // Grown by inserts: keep exactly the items (the session holds them for its life).
            items = [NegentropyItem](unsafeUninitializedCapacity: n) { out, initialized in
                items.withUnsafeBufferPointer { src in
                    for i in 0..<n { out.initializeElement(at: i, to: src[i]) }
                }
                initialized = n
            }
        }
        guard !duplicate else { throw .duplicateItemInserted }
        prefixSums = sums
        isSealed = true
    }

    /// The item at `index` in sorted order (valid once sealed).
    public subscript(index: Int) -> NegentropyItem { items[index] }

    /// All items, sorted once sealed.
    public var sortedItems: [NegentropyItem] { items }

    /// Fingerprint of `items[lower..<upper]`: two sparse prefix sums, fewer than
    /// `2 × prefixStride` additions and one SHA-256.
    func fingerprint(_ lower: Int, _ upper: Int) -> NegentropyFingerprint {
        var sum = prefix(upper)
        sum.subtract(prefix(lower))
        return sum.fingerprint(count: UInt64(upper - lower))
    }

    /// The sum of the ids of `items[0..<index]`.
    private func prefix(_ index: Int) -> NegentropyAccumulator {
        let block = index / Self.prefixStride
        var sum = prefixSums[block]
        let start = block * Self.prefixStride
        if start < index {
            items.withUnsafeBufferPointer { buf in
                for i in start..<index { sum.add(buf[i].id) }
            }
        }
        return sum
    }

    /// Heap bytes held by the sealed items and sums (capacity, not just count).
    public var heapBytes: Int {
        items.capacity * MemoryLayout<NegentropyItem>.stride + prefixSums.capacity * MemoryLayout<NegentropyAccumulator>.stride
    }

    /// The first index in `first..<last` whose item is not below `bound`
    /// (`last` if none): `std::lower_bound` over that slice.
    func lowerBound(from first: Int, to last: Int, of bound: NegentropyBound) -> Int {
        items.withUnsafeBufferPointer { buf in
            var low = first
            var length = last - first
            while length > 0 {
                let half = length >> 1
                if bound.isAbove(buf[low + half]) {
                    low += half + 1
                    length -= half + 1
                } else {
                    length = half
                }
            }
            return low
        }
    }
}
