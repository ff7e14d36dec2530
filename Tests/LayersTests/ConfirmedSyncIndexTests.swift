import Foundation
import Layers
import Nostr
import Testing

/// (decisions: Three indexes and one diff, Sync level per item, Restart is a quick reconnect)
@Suite("ConfirmedSyncIndex")
struct ConfirmedSyncIndexTests {
    typealias F = LayersFixtures
    let a = LayersFixtures.url("wss://a.example")
    let b = LayersFixtures.url("ws://b.example:8080/nostr")

    /// (decisions: Sync level per item)
    @Test("confirm records the level; a later stateOnly batch never downgrades a full repo")
    func confirmKeepsHighestLevel() {
        var index = ConfirmedSyncIndex()
        index.confirm(PendingBatch(id: 1, relay: a, repos: [F.ref("x"): .stateOnly]))
        #expect(index.needs(for: a).repos == [F.ref("x"): .stateOnly])
        index.confirm(PendingBatch(id: 2, relay: a, repos: [F.ref("x"): .full], rootEvents: [F.eventID(1)]))
        index.confirm(PendingBatch(id: 3, relay: a, repos: [F.ref("x"): .stateOnly]))
        #expect(index.needs(for: a) == RelaySyncNeeds(repos: [F.ref("x"): .full], rootEvents: [F.eventID(1)]))
    }

    @Test("A generic batch registers the relay; clear empties but keeps it; remove forgets it")
    func clearAndRemove() {
        var index = ConfirmedSyncIndex()
        index.confirm(PendingBatch(id: 1, relay: b))
        index.confirm(PendingBatch(id: 2, relay: a, repos: [F.ref("x"): .full]))
        #expect(index.relays == [b, a].sorted())
        index.clear(a)
        #expect(index.needs(for: a).isEmpty)
        #expect(index.relays.contains(a))
        index.remove(relay: a)
        #expect(index.relays == [b])
        index.clear(F.url("wss://unknown.example"))
        #expect(index.relays == [b])
    }

    /// (decisions: Restart is a quick reconnect)
    @Test("The journal lists every change in order, is emptied when taken, and can describe the whole index")
    func journal() {
        var index = ConfirmedSyncIndex()
        let batch = PendingBatch(id: 1, relay: a, repos: [F.ref("x"): .full], rootEvents: [F.eventID(1)])
        index.confirm(batch)
        index.confirm(PendingBatch(id: 2, relay: b))
        index.clear(a)
        index.clear(F.url("wss://unknown.example"))
        index.remove(relay: b)
        index.remove(relay: b)
        #expect(index.takeChanges() == [.added(a, batch.needs), .added(b, RelaySyncNeeds()), .cleared(a), .removed(b)],
                "changes to relays the index does not hold are not journaled")
        #expect(!index.hasChanges && index.takeChanges().isEmpty)
        index.confirm(batch)
        index.confirm(PendingBatch(id: 3, relay: b))
        index.journalEverything()
        let held: [RelayURL: RelaySyncNeeds] = [a: batch.needs, b: RelaySyncNeeds()]
        #expect(index.takeChanges() == [.replacedAll] + [a, b].sorted().map { .added($0, held[$0]!) })
        #expect(ConfirmedSyncIndex(restoring: [a: batch.needs]) == { var i = ConfirmedSyncIndex(); i.confirm(batch); return i }(),
                "the journal is not part of the value")
        #expect(!ConfirmedSyncIndex(restoring: [a: batch.needs]).hasChanges)
    }

    /// (decisions: Restart is a quick reconnect)
    @Test("Codable round trip, deterministic JSON with levels")
    func codableRoundTrip() throws {
        var index = ConfirmedSyncIndex()
        index.confirm(PendingBatch(id: 1, relay: a, repos: [F.ref("y"): .full, F.ref("x"): .stateOnly],
                                   rootEvents: [F.eventID(2), F.eventID(1)]))
        index.confirm(PendingBatch(id: 2, relay: b))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(index)
        let text = String(decoding: data, as: UTF8.self)
        let pk = String(repeating: "c", count: 64)
        #expect(text == #"{"relays":[{"needs":{"repos":[],"rootEvents":[]},"relay":"ws:\/\/b.example:8080\/nostr"},"#
            + #"{"needs":{"repos":[{"level":1,"ref":"30617:\#(pk):x"},{"level":2,"ref":"30617:\#(pk):y"}],"#
            + #""rootEvents":["\#(F.eventID(1))","\#(F.eventID(2))"]},"relay":"wss:\/\/a.example"}]}"#)
        let decoded = try JSONDecoder().decode(ConfirmedSyncIndex.self, from: data)
        #expect(decoded == index)
        #expect(try encoder.encode(decoded) == data)
    }

    @Test("Decoding rejects an unparsable relay URL or repo ref")
    func decodingErrors() {
        let badRelay = Data(#"{"relays":[{"relay":"http://x","needs":{"repos":[],"rootEvents":[]}}]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ConfirmedSyncIndex.self, from: badRelay) }
        let badRef = Data(#"{"repos":[{"ref":"30617:nothex:x","level":2}],"rootEvents":[]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RelaySyncNeeds.self, from: badRef) }
    }

    @Test("RelaySyncNeeds subtracting is level-aware")
    func subtracting() {
        let desired = RelaySyncNeeds(repos: [F.ref("x"): .full, F.ref("y"): .stateOnly, F.ref("z"): .full],
                                     rootEvents: [F.eventID(1), F.eventID(2)])
        let covered = RelaySyncNeeds(repos: [F.ref("x"): .stateOnly, F.ref("y"): .full, F.ref("z"): .full],
                                     rootEvents: [F.eventID(1)])
        #expect(desired.subtracting(covered) == RelaySyncNeeds(repos: [F.ref("x"): .full], rootEvents: [F.eventID(2)]))
        #expect(!desired.isCovered(by: covered))
        #expect(desired.isCovered(by: desired))
    }
}
