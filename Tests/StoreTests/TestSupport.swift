import Foundation
import Nostr
import Store

/// Deterministic key pairs, so failures are reproducible.
enum Keys {
    static func pair(_ n: UInt8) -> NostrKeypair {
        NostrKeypair(secretKey: [UInt8](repeating: 0, count: 31) + [n])!
    }

    static let owner = pair(1)
    static let maintainer = pair(2)
    static let outsider = pair(3)
    static let second = pair(4)
    static let third = pair(5)
}

/// The virtual "now" every test starts at (the ManualClock default).
let t0: Int64 = 1_700_000_000

/// This node's service, as in the reference's test environment.
let serviceRelay = "ws://127.0.0.1:7334"
let serviceURL = RelayURL(serviceRelay)!
let foreignRelay = "wss://elsewhere.example.com"

func serviceClone(_ key: NostrKeypair, _ d: String) -> String { "http://127.0.0.1:7334/\(key.publicKey)/\(d).git" }
func foreignClone(_ key: NostrKeypair, _ d: String) -> String { "https://elsewhere.example.com/\(key.publicKey)/\(d).git" }

/// The `a` coordinate of `key`'s repository `d`.
func repoCoordinate(_ key: NostrKeypair, _ d: String) -> String { "30617:\(key.publicKey):\(d)" }

/// A 30617 repository announcement.
func announcement(
    _ key: NostrKeypair, d: String = "repo", relays: [String], clone: [String],
    maintainers: [String] = [], createdAt: Int64 = t0, extraTags: [[String]] = []
) -> NostrEvent {
    var tags: [[String]] = [["d", d], ["name", d]]
    if !clone.isEmpty { tags.append(["clone"] + clone) }
    if !relays.isEmpty { tags.append(["relays"] + relays) }
    if !maintainers.isEmpty { tags.append(["maintainers"] + maintainers) }
    return key.sign(kind: NIP34.repoAnnouncement, tags: tags + extraTags, content: "", createdAt: createdAt)
}

/// A 30617 that lists this service in both `clone` and `relays` (plus a foreign host).
func listedAnnouncement(_ key: NostrKeypair, d: String = "repo", maintainers: [String] = [], createdAt: Int64 = t0) -> NostrEvent {
    announcement(key, d: d, relays: [serviceRelay, foreignRelay], clone: [serviceClone(key, d), foreignClone(key, d)],
                 maintainers: maintainers, createdAt: createdAt)
}

/// A 30617 that lists only a foreign host.
func unlistedAnnouncement(_ key: NostrKeypair, d: String = "repo", maintainers: [String] = [], createdAt: Int64 = t0) -> NostrEvent {
    announcement(key, d: d, relays: [foreignRelay], clone: [foreignClone(key, d)], maintainers: maintainers, createdAt: createdAt)
}

/// A 30618 repository state.
func repoState(_ key: NostrKeypair, d: String = "repo", createdAt: Int64 = t0, commit: String = String(repeating: "a", count: 40)) -> NostrEvent {
    key.sign(kind: NIP34.repoState, tags: [["d", d], ["refs/heads/main", commit], ["HEAD", "ref: refs/heads/main"]],
             content: "", createdAt: createdAt)
}

/// A random-looking but fixed 64-hex id that is not stored anywhere.
let unknownID = String(repeating: "ab", count: 32)

/// The policy configurations used by the tests.
enum Configs {
    /// Relays listing required (the node's default).
    static let lenient = AcceptancePolicyConfiguration(serviceURLs: [serviceURL])
    /// Relays and an http(s) clone URL on the service host required (decisions:
    /// Acceptance policy without git hosting).
    static let strict = AcceptancePolicyConfiguration(serviceURLs: [serviceURL], requireCloneListing: true)
}

/// A fresh in-memory store with an ingestor running in virtual time.
struct Harness {
    let store: SQLiteEventStore
    let clock: ManualClock
    let rejected: RejectedEventsIndex
    let ingestor: EventIngestor

    init(_ configuration: AcceptancePolicyConfiguration = Configs.strict, hotTTL: Double = 120, coldTTL: Double = 604_800) throws {
        store = try SQLiteEventStore()
        clock = ManualClock(start: Double(t0))
        rejected = RejectedEventsIndex(hotTTL: hotTTL, coldTTL: coldTTL)
        ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: configuration), rejected: rejected, clock: clock)
    }

    @discardableResult
    func ingest(_ event: NostrEvent, skipKnownRejected: Bool = false) -> IngestResult {
        ingestor.ingest(event, skipKnownRejected: skipKnownRejected)
    }

    func stored(_ event: NostrEvent) throws -> Bool { try store.contains(eventID: event.id) }
}

/// A unique temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// An event store whose every operation fails (to exercise `.storeFailed`).
struct FailingStore: EventStore {
    static let error = StoreError.database("disk I/O error")
    func insert(_ event: NostrEvent) throws(StoreError) -> InsertOutcome { throw Self.error }
    func contains(eventID: String) throws(StoreError) -> Bool { throw Self.error }
    func containsAddressable(kind: Int, pubkey: String, identifier: String) throws(StoreError) -> Bool { throw Self.error }
    func query(_ filters: [Filter], maxLimit: Int) throws(StoreError) -> [NostrEvent] { throw Self.error }
    func count(_ filters: [Filter]) throws(StoreError) -> Int { throw Self.error }
    func idListing(for filter: Filter, maxItems: Int, ordered: Bool) throws(StoreError) -> StoredIDListing { throw Self.error }
    func announcements(identifier: String) throws(StoreError) -> [NostrEvent] { throw Self.error }
    func tagValues(named name: String, ofKinds kinds: [Int]) throws(StoreError) -> [TaggedValue] { throw Self.error }
    func isReferenced(tagNames: [String], values: [String]) throws(StoreError) -> Bool { throw Self.error }
    func subscribe(bufferLimit: Int?) -> AsyncStream<NostrEvent> { AsyncStream { $0.finish() } }
    var publishedEventCount: Int { 0 }
    func metadata(_ key: String) throws(StoreError) -> String? { throw Self.error }
    func setMetadata(_ key: String, _ value: String?) throws(StoreError) { throw Self.error }
    func writeRelayItems(_ changes: [RelayItemsChange], metadata: [String: String?]) throws(StoreError) { throw Self.error }
    func forEachRelayItem(_ body: (String, RelayItem?) -> Void) throws(StoreError) { throw Self.error }
}
