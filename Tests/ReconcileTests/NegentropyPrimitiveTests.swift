import Nostr
import Reconcile
import Testing

@Suite("Negentropy primitives")
struct NegentropyPrimitiveTests {
    // MARK: Varint

    @Test func varintVectorsFromFixture() throws {
        let f = try Fixtures.load(PrimitivesFile.self, "60-primitives.json")
        #expect(f.varints.count == 26)
        for v in f.varints {
            #expect(hex(NegentropyVarint.encode(v.value)) == v.hex, "encode \(v.value)")
            #expect(try NegentropyVarint.decode(unhex(v.hex)) == v.value, "decode \(v.hex)")
            #expect(NegentropyVarint.encodedLength(v.value) == v.hex.count / 2)
        }
    }

    @Test func varintSpecExamples() throws {
        let cases: [(UInt64, String)] = [
            (0, "00"), (127, "7f"), (128, "8100"), (255, "817f"), (16384, "818000"),
            (1_677_970_534, "86a08f9866"), (UInt64.max, "81ffffffffffffffff7f"),
        ]
        for (value, expected) in cases {
            #expect(hex(NegentropyVarint.encode(value)) == expected)
        }
    }

    @Test func varintRoundTripsAtEveryGroupBoundary() throws {
        for shift in 0..<64 {
            for value in [UInt64(1) << UInt64(shift), (UInt64(1) << UInt64(shift)) &- 1, (UInt64(1) << UInt64(shift)) &+ 1] {
                let encoded = NegentropyVarint.encode(value)
                #expect(try NegentropyVarint.decode(encoded) == value)
                // Minimal: no leading 0x80 group, and the last byte alone has the high bit clear.
                #expect(encoded.count == 1 || encoded[0] != 0x80)
                #expect(encoded.last! & 0x80 == 0)
                #expect(encoded.dropLast().allSatisfy { $0 & 0x80 != 0 })
            }
        }
    }

    @Test func varintDecodeErrors() {
        #expect(throws: NegentropyError.prematureEndOfVarint) { try NegentropyVarint.decode([]) }
        #expect(throws: NegentropyError.prematureEndOfVarint) { try NegentropyVarint.decode([0x80]) }
        #expect(throws: NegentropyError.prematureEndOfVarint) { try NegentropyVarint.decode([0xFF, 0xFF, 0xFF]) }
        #expect(throws: NegentropyError.parseEndsPrematurely) { try NegentropyVarint.decode([0x01, 0x02]) }
    }

    @Test func overlongVarintDropsHighBitsLikeTheReference() throws {
        // 11 groups: the top 13 bits fall off a u64 shift; the reference does not reject it.
        let bytes: [UInt8] = [0x81] + Array(repeating: 0x80, count: 9) + [0x05]
        #expect(try NegentropyVarint.decode(bytes) == 5)
        // Non-minimal encodings decode to the same value.
        #expect(try NegentropyVarint.decode([0x80, 0x80, 0x7F]) == 127)
    }

    // MARK: Hex and ids

    @Test func hexCoding() {
        #expect(NegentropyHex.encode([0x00, 0xAB, 0xFF, 0x10]) == "00abff10")
        #expect(NegentropyHex.decode("00ABff10") == [0x00, 0xAB, 0xFF, 0x10])
        #expect(NegentropyHex.decode("") == [])
        #expect(NegentropyHex.decode("abc") == nil)
        #expect(NegentropyHex.decode("zz") == nil)
        #expect(NegentropyHex.decode("0g") == nil)
        #expect(NegentropyHex.decode("ab cd"[...]) == nil)
        #expect(NegentropyHex.decode("abcd".dropFirst(2)) == [0xCD])
    }

    @Test func idConstructionAndOrdering() throws {
        let bytes = (0..<32).map { UInt8($0 * 7 + 3) }
        let id = try #require(NegentropyID(bytes: bytes))
        #expect(id.bytes == bytes)
        #expect(NegentropyID(hex: id.hex) == id)
        #expect(NegentropyID(bytes: bytes.dropLast()) == nil)
        #expect(NegentropyID(bytes: bytes + [0]) == nil)
        #expect(NegentropyID(hex: String(repeating: "a", count: 63)) == nil)
        #expect(NegentropyID(hex: String(repeating: "x", count: 64)) == nil)
        #expect(NegentropyID.zero.bytes == Array(repeating: 0, count: 32))

        // Ordering is lexical byte order, checked on ids that differ in every word.
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            var a = rng.bytes(32)
            var b = rng.bytes(32)
            let at = Int(rng.next() % 32)
            b.replaceSubrange(0..<at, with: a[0..<at])  // shared prefix of random length
            if rng.next() % 5 == 0 { a = b }
            let ia = try #require(NegentropyID(bytes: a))
            let ib = try #require(NegentropyID(bytes: b))
            #expect((ia < ib) == a.lexicographicallyPrecedes(b))
            #expect((ia == ib) == (a == b))
        }
    }

    @Test func itemOrderingIsTimestampThenId() throws {
        let lo = try #require(NegentropyID(hex: String(repeating: "00", count: 31) + "01"))
        let hi = try #require(NegentropyID(hex: "01" + String(repeating: "00", count: 31)))
        #expect(NegentropyItem(timestamp: 1, id: hi) < NegentropyItem(timestamp: 2, id: lo))
        #expect(NegentropyItem(timestamp: 2, id: lo) < NegentropyItem(timestamp: 2, id: hi))
        #expect(!(NegentropyItem(timestamp: 2, id: hi) < NegentropyItem(timestamp: 2, id: hi)))
    }

    // MARK: Fingerprint

    @Test func fingerprintVectorsFromFixture() throws {
        let f = try Fixtures.load(PrimitivesFile.self, "60-primitives.json")
        #expect(f.cases.count == 11)
        for c in f.cases {
            var acc = NegentropyAccumulator()
            for idHex in c.ids { acc.add(try #require(NegentropyID(hex: idHex))) }
            #expect(acc.fingerprint(count: c.count).description == c.fingerprint, "\(c.name)")
            #expect(hex(acc.fingerprint(count: c.count).bytes) == c.fingerprint)
        }
    }

    @Test func accumulatorCarriesAndSubtracts() throws {
        // ff..ff (little-endian all ones) + 01 00..00 wraps to zero mod 2^256.
        let ones = try #require(NegentropyID(hex: String(repeating: "ff", count: 32)))
        let one = try #require(NegentropyID(hex: "01" + String(repeating: "00", count: 31)))
        var acc = NegentropyAccumulator()
        acc.add(ones)
        acc.add(one)
        #expect(acc == NegentropyAccumulator())

        // Carry across the first 64-bit limb: ff×8 00×24 + 01 00×31 = 00×8 01 00×23.
        let limb = try #require(NegentropyID(hex: String(repeating: "ff", count: 8) + String(repeating: "00", count: 24)))
        acc = NegentropyAccumulator()
        acc.add(limb)
        acc.add(one)
        #expect(hex(acc.bytes) == String(repeating: "00", count: 8) + "01" + String(repeating: "00", count: 23))

        // A prefix-sum difference equals the sum of the slice.
        var rng = SplitMix64(seed: 99)
        let ids = (0..<200).map { _ in NegentropyID(bytes: rng.bytes(32))! }
        var prefix = [NegentropyAccumulator()]
        for id in ids {
            var next = prefix.last!
            next.add(id)
            prefix.append(next)
        }
        for (lo, hi) in [(0, 200), (17, 18), (5, 150), (100, 100), (199, 200)] {
            var diff = prefix[hi]
            diff.subtract(prefix[lo])
            var direct = NegentropyAccumulator()
            for id in ids[lo..<hi] { direct.add(id) }
            #expect(diff == direct)
            #expect(diff.fingerprint(count: UInt64(hi - lo)) == direct.fingerprint(count: UInt64(hi - lo)))
        }
    }

    // MARK: Spec §1.4 vectors (written out, independent of the fixture files)

    @Test func specVectors() throws {
        let ee = try #require(NegentropyID(hex: String(repeating: "ee", count: 32)))
        let storage = try NegentropyStorage(sealing: [NegentropyItem(timestamp: 12345, id: ee)])

        // 1. IdList-of-nothing request gets the server's one id.
        var server = try Negentropy(storage: storage)
        #expect(hex(try server.reconcile(unhex("6100000200"))) == "6100000201" + String(repeating: "ee", count: 32))

        // 2 and 3. Unknown version gets "61"; the retry on the same instance works.
        var server2 = try Negentropy(storage: storage)
        #expect(hex(try server2.reconcile(unhex("62aabbccddeeff"))) == "61")
        #expect(hex(try server2.reconcile(unhex("6100000200"))) == "6100000201" + String(repeating: "ee", count: 32))

        // 4. Two-item initiator.
        let aa = try #require(NegentropyID(hex: String(repeating: "aa", count: 32)))
        let bb = try #require(NegentropyID(hex: String(repeating: "bb", count: 32)))
        var client = try Negentropy(storage: try NegentropyStorage(sealing: [
            NegentropyItem(timestamp: 101, id: bb), NegentropyItem(timestamp: 100, id: aa),
        ]))
        #expect(hex(try client.initiate())
            == "6100000202" + String(repeating: "aa", count: 32) + String(repeating: "bb", count: 32))

        // 5. 32 items (i, byte(i)×32): 16 fingerprint buckets of 2, 305 bytes.
        let items = (1...32).map { i in
            NegentropyItem(timestamp: UInt64(i), id: NegentropyID(bytes: Array(repeating: UInt8(i), count: 32))!)
        }
        var client32 = try Negentropy(storage: try NegentropyStorage(sealing: items))
        let message = try client32.initiate()
        #expect(message.count == 305)
        #expect(hex(Array(message[1..<20])) == "04000112a7b248579deb04f68dac6d3db20efd")
        #expect(hex(Array(message[20..<23])) == "030001")
        // The last bucket ends at infinity (encoded 0, empty prefix).
        #expect(hex(Array(message[286..<289])) == "000001")
    }

    // MARK: Bound and timestamp coding on the wire

    @Test func boundTimestampsAreDeltaCodedAndResetPerMessage() throws {
        let ids = (1...4).map { NegentropyID(bytes: Array(repeating: UInt8($0), count: 32))! }
        let storage = try NegentropyStorage(sealing: [
            NegentropyItem(timestamp: 0, id: ids[0]),
            NegentropyItem(timestamp: 1, id: ids[1]),
            NegentropyItem(timestamp: 2, id: ids[2]),
            NegentropyItem(timestamp: UInt64.max - 1, id: ids[3]),
        ])
        var server = try Negentropy(storage: storage)
        // Skip up to ts 1 (encoded 1+1), then IdList(empty) to infinity (encoded 0).
        let reply = try server.reconcile(unhex("61020000" + "00000200"))
        // The pending skip is written with bound (1, ""), then our ids at or above it.
        #expect(hex(reply) == "61020000" + "00000203" + ids[1].hex + ids[2].hex + ids[3].hex)

        // Same request again: the timestamp state resets per message, so the bytes repeat.
        #expect(try server.reconcile(unhex("61020000" + "00000200")) == reply)

        // Deltas accumulate within a message: 1+1 then 1+1 again is ts 2.
        let reply2 = try server.reconcile(unhex("61020000" + "020000" + "00000200"))
        #expect(hex(reply2) == "61030000" + "00000202" + ids[2].hex + ids[3].hex)

        // The largest finite timestamp, 2^64-2, is the 10-byte varint of 2^64-1.
        let reply3 = try server.reconcile(unhex("6181ffffffffffffffff7f0000" + "00000200"))
        #expect(hex(reply3) == "6181ffffffffffffffff7f0000" + "00000201" + ids[3].hex)
    }

    @Test func timestampDecodingSaturatesToInfinity() throws {
        let id = NegentropyID(bytes: Array(repeating: 9, count: 32))!
        var server = try Negentropy(storage: try NegentropyStorage(sealing: [NegentropyItem(timestamp: 5, id: id)]))
        // Bound 1: ts 2^64-2. Bound 2: delta 2 overflows, so it is infinity, not a wrap to 0.
        // A wrap would make the IdList's bound (0, "") and change the reply bytes.
        let reply = try server.reconcile(unhex("6181ffffffffffffffff7f0000" + "030002" + "00"))
        // Our item (ts 5) sits below the first bound: skip it; then the IdList to infinity is empty.
        #expect(hex(reply) == "6181ffffffffffffffff7f0000" + "00000200")
    }

    @Test func minimalBoundsCarryIdPrefixesOnSharedTimestamps() throws {
        // 32 items at one timestamp whose ids differ late: bucket bounds need long prefixes.
        var items: [NegentropyItem] = []
        for i in 0..<32 {
            var bytes = Array(repeating: UInt8(0x42), count: 32)
            bytes[20] = UInt8(i / 2)
            bytes[31] = UInt8(i % 2)
            items.append(NegentropyItem(timestamp: 1000, id: NegentropyID(bytes: bytes)!))
        }
        var client = try Negentropy(storage: try NegentropyStorage(sealing: items))
        let message = try client.initiate()
        // First bucket: items 0,1; next item 2 has byte 20 = 1 against 0, so the prefix is 21 bytes.
        var expectedFirstBound = NegentropyVarint.encode(1001) + [21]
        expectedFirstBound += Array(repeating: 0x42, count: 20) + [0x01]
        #expect(Array(message[1..<(1 + expectedFirstBound.count)]) == expectedFirstBound)
        // The second bound repeats the timestamp: delta 0 encodes as 1.
        let second = 1 + expectedFirstBound.count + 1 + 16
        #expect(message[second] == 0x01)
        #expect(message[second + 1] == 21)
        // First bucket 41 bytes (2-byte timestamp), 14 more of 40, the last to infinity 19.
        #expect(message.count == 1 + 41 + 14 * 40 + 19)
    }
}

extension SplitMix64 {
    /// `n` pseudo-random bytes.
    mutating func bytes(_ n: Int) -> [UInt8] {
        (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
