import Nostr
import Reconcile
import Testing

/// Randomised self-reconciliation: our initiator against our responder on many
/// seeded random set pairs, with and without frame size limits.
@Suite("Negentropy randomised reconciliation")
struct NegentropyRandomTests {
    struct Outcome {
        var have = Set<NegentropyID>()
        var need = Set<NegentropyID>()
        var rounds = 0
        var maxClientMessage = 0
        var maxServerMessage = 0
    }

    /// Runs a whole session and returns the de-duplicated have/need sets.
    static func run(
        client: [NegentropyItem], server: [NegentropyItem], clientLimit: Int, serverLimit: Int
    ) throws -> Outcome {
        var c = try Negentropy(storage: try NegentropyStorage(sealing: client), frameSizeLimit: clientLimit)
        var s = try Negentropy(storage: try NegentropyStorage(sealing: server), frameSizeLimit: serverLimit)
        var outcome = Outcome()
        var message: [UInt8]? = try c.initiate()
        while let m = message {
            outcome.rounds += 1
            outcome.maxClientMessage = max(outcome.maxClientMessage, m.count)
            guard outcome.rounds < 10_000 else { throw NegentropyError.unexpectedMode }  // no progress
            let reply = try s.reconcile(m)
            outcome.maxServerMessage = max(outcome.maxServerMessage, reply.count)
            var have: [NegentropyID] = []
            var need: [NegentropyID] = []
            message = try c.reconcile(reply, have: &have, need: &need)
            outcome.have.formUnion(have)
            outcome.need.formUnion(need)
        }
        return outcome
    }

    /// Random sets with a common part and differences both ways. Timestamps are
    /// drawn from a window whose width varies, so some runs have many shared
    /// timestamps (id-prefix bounds) and some have huge u64 values.
    static func makeSets(_ rng: inout SplitMix64) -> (client: [NegentropyItem], server: [NegentropyItem]) {
        let common = Int(rng.next() % 1500)
        let clientOnly = Int(rng.next() % 200)
        let serverOnly = Int(rng.next() % 200)
        let window: UInt64 = [1, 10, 1000, 1_000_000, UInt64.max - 1][Int(rng.next() % 5)]
        let base: UInt64 = window == UInt64.max - 1 ? 0 : 1_677_970_534
        func item() -> NegentropyItem {
            var id = rng.bytes(32)
            // Sometimes share a long id prefix to exercise long minimal bounds.
            if rng.next() % 4 == 0 { id.replaceSubrange(0..<28, with: Array(repeating: 0x5A, count: 28)) }
            return NegentropyItem(timestamp: base + rng.next() % window, id: NegentropyID(bytes: id)!)
        }
        let shared = (0..<common).map { _ in item() }
        let client = shared + (0..<clientOnly).map { _ in item() }
        let server = shared + (0..<serverOnly).map { _ in item() }
        return (client.shuffled(using: &rng), server.shuffled(using: &rng))
    }

    @Test("Random pairs reach the union", arguments: [(0, 0), (4096, 4096), (60000, 60000), (60000, 4096), (4096, 0)])
    func randomPairs(limits: (client: Int, server: Int)) throws {
        var rng = SplitMix64(seed: UInt64(limits.client * 31 + limits.server + 1))
        for trial in 0..<40 {
            let (client, server) = Self.makeSets(&rng)
            let outcome = try Self.run(client: client, server: server, clientLimit: limits.client, serverLimit: limits.server)
            let clientIDs = Set(client.map(\.id))
            let serverIDs = Set(server.map(\.id))
            #expect(outcome.have == clientIDs.subtracting(serverIDs), "trial \(trial): have")
            #expect(outcome.need == serverIDs.subtracting(clientIDs), "trial \(trial): need")
            if limits.client != 0 { #expect(outcome.maxClientMessage <= limits.client, "trial \(trial)") }
            if limits.server != 0 { #expect(outcome.maxServerMessage <= limits.server, "trial \(trial)") }
        }
    }

    @Test func largePaginationUnderTheSmallestLimit() throws {
        var rng = SplitMix64(seed: 2024)
        let server = (0..<6000).map { _ in
            NegentropyItem(timestamp: 1_700_000_000 + rng.next() % 5000, id: NegentropyID(bytes: rng.bytes(32))!)
        }
        let client = Array(server.prefix(2500)) + (0..<700).map { _ in
            NegentropyItem(timestamp: 1_700_000_000 + rng.next() % 5000, id: NegentropyID(bytes: rng.bytes(32))!)
        }
        let outcome = try Self.run(client: client, server: server, clientLimit: 4096, serverLimit: 4096)
        #expect(outcome.need.count == 3500)
        #expect(outcome.have.count == 700)
        #expect(outcome.maxClientMessage <= 4096)
        #expect(outcome.maxServerMessage <= 4096)
        #expect(outcome.rounds > 1)
    }

    @Test func emptyAndIdenticalSets() throws {
        var rng = SplitMix64(seed: 5)
        let items = (0..<3000).map { _ in
            NegentropyItem(timestamp: rng.next() % 100, id: NegentropyID(bytes: rng.bytes(32))!)
        }
        for limit in [0, 4096] {
            let same = try Self.run(client: items, server: items.shuffled(using: &rng), clientLimit: limit, serverLimit: limit)
            #expect(same.have.isEmpty && same.need.isEmpty)
            #expect(same.rounds == 1)
            let down = try Self.run(client: [], server: items, clientLimit: limit, serverLimit: limit)
            #expect(down.need.count == items.count)
            let up = try Self.run(client: items, server: [], clientLimit: limit, serverLimit: limit)
            #expect(up.have.count == items.count)
            let none = try Self.run(client: [], server: [], clientLimit: limit, serverLimit: limit)
            #expect(none.rounds == 1 && none.have.isEmpty && none.need.isEmpty)
        }
    }

    /// Flat columns (a store listing) seal to the same set as items inserted one by one.
    @Test func flatColumnsSealLikeInsertedItems() throws {
        var rng = SplitMix64(seed: 23)
        let ids = (0..<300).map { _ in rng.bytes(32) }
        let timestamps = (0..<300).map { UInt64(1_000 - $0 % 50) }
        var inserted = NegentropyStorage()
        for (t, id) in zip(timestamps, ids) { try inserted.insert(timestamp: t, id: NegentropyID(bytes: id)!) }
        try inserted.seal()
        let flat = try NegentropyStorage(sealingTimestamps: timestamps, idBytes: ids.flatMap { $0 })
        #expect(flat.count == 300)
        var a = try Negentropy(storage: inserted, frameSizeLimit: 0)
        var b = try Negentropy(storage: flat, frameSizeLimit: 0)
        #expect(try a.initiate() == b.initiate())
        #expect(throws: NegentropyError.duplicateItemInserted) {
            try NegentropyStorage(sealingTimestamps: [1, 1], idBytes: ids[0] + ids[0])
        }
    }

    @Test func duplicateItemsAreRejectedAtSeal() throws {
        var rng = SplitMix64(seed: 11)
        let id = NegentropyID(bytes: rng.bytes(32))!
        #expect(throws: NegentropyError.duplicateItemInserted) {
            try NegentropyStorage(sealing: [
                NegentropyItem(timestamp: 3, id: id), NegentropyItem(timestamp: 1, id: NegentropyID.zero),
                NegentropyItem(timestamp: 3, id: id),
            ])
        }
        // The same id at two timestamps is two distinct items.
        #expect(throws: Never.self) {
            try NegentropyStorage(sealing: [NegentropyItem(timestamp: 3, id: id), NegentropyItem(timestamp: 4, id: id)])
        }
    }
}
