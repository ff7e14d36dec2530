import Reconcile
import Testing

/// Issue 12, item 2: a sealed session's items are stored compactly (40 bytes an item plus
/// sparse sums), not 72 bytes as with a dense prefix sum per item.
@Suite("Negentropy storage memory")
struct NegentropyStorageMemoryTests {
    @Test("100,000 sealed items take at most 42 bytes each")
    func compactSealedStorage() throws {
        let n = 100_000
        var idBytes = [UInt8](repeating: 0, count: n * 32)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<idBytes.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            idBytes[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let timestamps = (0..<n).map { UInt64(1_700_000_000 + $0 / 3) }
        let storage = try NegentropyStorage(sealingTimestamps: timestamps, idBytes: idBytes)
        #expect(storage.count == n)
        #expect(storage.heapBytes <= 42 * n, "\(storage.heapBytes / n) bytes per item")
    }

    @Test("storage filled by inserts is trimmed to its items when sealed")
    func insertedStorageIsTrimmed() throws {
        var storage = NegentropyStorage()
        storage.reserveCapacity(50_000)
        for i in 0..<10_000 {
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[0] = UInt8(i & 0xFF); bytes[1] = UInt8(i >> 8)
            try storage.insert(timestamp: UInt64(i), id: NegentropyID(bytes: bytes)!)
        }
        try storage.seal()
        #expect(storage.heapBytes <= 42 * 10_000 + 1024)
    }

    @Test("an array sealed as given is not copied to its exact size (no second copy at the peak)")
    func givenArrayIsKeptAsIs() throws {
        var items: [NegentropyItem] = []
        items.reserveCapacity(50_000)
        for i in 0..<10_000 {
            var bytes = [UInt8](repeating: 0, count: 32)
            bytes[0] = UInt8(i & 0xFF); bytes[1] = UInt8(i >> 8)
            items.append(NegentropyItem(timestamp: UInt64(i), id: NegentropyID(bytes: bytes)!))
        }
        let storage = try NegentropyStorage(sealing: items)
        #expect(storage.count == 10_000)
        #expect(storage.heapBytes >= 40 * 50_000, "the given array's capacity is kept, not copied")
    }
}
