import Foundation
import Nostr
import Reconcile
import Relay
import Store
import Testing
import Transport

/// A `NegentropyLink` over a real relay session. Every inbound message goes to the session
/// (the state machine ignores other subscriptions). If nothing arrives within `deadline`
/// seconds the link reports an idle timeout: a hang guard, which fails the test's
/// expectations instead of hanging it.
final class SessionNegentropyLink: NegentropyLink, @unchecked Sendable {
    let session: any RelaySession
    let deadline: Double

    init(session: any RelaySession, deadline: Double = 20) {
        self.session = session
        self.deadline = deadline
    }

    func send(_ message: ClientMessage) async throws {
        try await session.send(message)
    }

    func next() async -> NegentropyLinkEvent? {
        do {
            return .message(try await session.next(deadline: deadline))
        } catch HarnessError.timedOut {
            return .idleTimeout
        } catch {
            return nil
        }
    }
}

/// A NIP-34 event population for reconciliation tests: one accepted announcement and kind
/// 1621 issues tagging it, split into A (client only), B (both) and C (relay only) and
/// interleaved in time.
struct NIP34EventSets: Sendable {
    let announcement: NostrEvent
    let onlyClient: [NostrEvent]
    let common: [NostrEvent]
    let onlyRelay: [NostrEvent]

    var clientEvents: [NostrEvent] { onlyClient + common }
    var relayEvents: [NostrEvent] { common + onlyRelay }
    var coordinate: String { "30617:\(announcement.pubkey):\(announcement.dTag)" }
    /// The issues of this repository (the announcement itself does not match).
    var filter: Filter { Filter(kinds: [1621], tags: ["a": [coordinate]]) }
    var onlyClientIDs: Set<String> { Set(onlyClient.map(\.id)) }
    var onlyRelayIDs: Set<String> { Set(onlyRelay.map(\.id)) }

    /// 60 / 900 / 80 issues: enough that a 4096-byte client frame limit takes several rounds.
    static let standard = make(repo: "neg-repo", onlyClient: 60, common: 900, onlyRelay: 80)

    static func make(repo: String, onlyClient a: Int, common b: Int, onlyRelay c: Int) -> NIP34EventSets {
        let base = Fixtures.now - 50_000
        let announcement = Fixtures.announcement(repo, createdAt: base - 1)
        var sets: ([NostrEvent], [NostrEvent], [NostrEvent]) = ([], [], [])
        let total = a + b + c
        var i = 0
        // Spread A and C evenly through B so differences land in many ranges.
        while sets.0.count + sets.1.count + sets.2.count < total {
            let wantA = sets.0.count < a && (sets.0.count * total <= i * a)
            let wantC = !wantA && sets.2.count < c && (sets.2.count * total <= i * c)
            let event = Fixtures.issue(for: announcement, subject: "\(repo) issue \(i)", createdAt: base + Int64(i) * 7)
            if wantA {
                sets.0.append(event)
            } else if wantC {
                sets.2.append(event)
            } else if sets.1.count < b {
                sets.1.append(event)
            } else if sets.0.count < a {
                sets.0.append(event)
            } else {
                sets.2.append(event)
            }
            i += 1
        }
        return NIP34EventSets(announcement: announcement, onlyClient: sets.0, common: sets.1, onlyRelay: sets.2)
    }

    /// Stores the announcement and B∪C in the relay through its ingestor (policy included).
    func storeRelaySide(in harness: RelayTestHarness) {
        #expect(harness.relay.ingestor.ingest(announcement) == .saved)
        var refused = 0
        for e in relayEvents where harness.relay.ingestor.ingest(e) != .saved { refused += 1 }
        #expect(refused == 0, "the relay refused \(refused) of the relay-side events")
    }

    /// JSON lines of `events`, written to a temporary file.
    static func writeJSONLines(_ events: [NostrEvent], name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-\(name)-\(UUID().uuidString).jsonl")
        try (events.map(\.jsonText).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// The sealed negentropy storage of some events.
func negentropyStorage(_ events: [NostrEvent]) throws -> NegentropyStorage {
    var storage = NegentropyStorage()
    for e in events {
        try storage.insert(timestamp: UInt64(e.createdAt), id: NegentropyID(hex: e.id)!)
    }
    try storage.seal()
    return storage
}

/// Downloads events by id with REQ (chunks below the relay's limit); tolerates a CLOSED after
/// the EOSE (nostr-sdk's LocalRelay sends one when all ids were found).
func fetchEvents(ids: [String], over session: any RelaySession, chunk: Int = 200) async throws -> [NostrEvent] {
    var out: [NostrEvent] = []
    var start = 0
    var n = 0
    while start < ids.count {
        let part = Array(ids[start..<min(start + chunk, ids.count)])
        start += chunk
        n += 1
        let sub = "fetch-\(n)"
        try await session.send(.req(subscriptionID: sub, filters: [Filter(ids: part)]))
        loop: while true {
            switch try await session.next() {
            case .event(sub, let e): out.append(e)
            case .eose(sub): break loop
            case .closed(sub, let why): throw NegentropyTestError.unexpected("REQ \(sub) closed before EOSE: \(why)")
            default: continue
            }
        }
        try await session.send(.close(subscriptionID: sub))
    }
    return out
}

enum NegentropyTestError: Error { case unexpected(String) }
