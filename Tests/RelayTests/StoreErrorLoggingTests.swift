import Foundation
import Logging
import Nostr
import Relay
import Store
import Synchronization
import Testing

/// Issue 12, item 4: every store failure behind an `error:` answer is logged, with SQLite's
/// result code, instead of only being answered.
@Suite("Served relay: store errors are logged")
struct StoreErrorLoggingTests {
    static let sqliteError = StoreError.database("SQLite error 11: database disk image is malformed")

    /// EVENT failures are logged by the ingestor (so sync and import failures are too).
    @Test("EVENT, REQ, COUNT and NEG-OPEN store failures each log an error line with the SQLite code")
    func storeFailuresAreLogged() async throws {
        let lines = LogLines()
        let logger = Logger(label: "test.store-errors") { _ in CapturingLogHandler(lines: lines) }
        let store = FailingStore(base: try SQLiteEventStore(), error: Self.sqliteError)
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [RelayTestHarness.serviceURL])),
                                     logger: logger)
        let relay = NostrRelay(ingestor: ingestor, logger: logger)
        let connection = LocalRelayConnection(relay: relay)
        var replies = connection.fromRelay.makeAsyncIterator()

        let announcement = Fixtures.announcement("logged")
        connection.send(ClientMessage.event(announcement).jsonText)
        let ok = try #require(await replies.next())
        #expect(ok.contains("error:"), "\(ok)")
        connection.send(#"["REQ","r",{"kinds":[1621]}]"#)
        let closed = try #require(await replies.next())
        #expect(closed.contains("error:"), "\(closed)")
        connection.send(#"["COUNT","c",{"kinds":[1621]}]"#)
        let counted = try #require(await replies.next())
        #expect(counted.contains("error:"), "\(counted)")
        connection.send(#"["NEG-OPEN","n",{"kinds":[1621]},"6100000200"]"#)
        let negErr = try #require(await replies.next())
        #expect(negErr.contains("error:"), "\(negErr)")
        await connection.close()

        let errors = lines.snapshot.filter { $0.level >= .error }.map(\.message)
        for what in ["ingesting event \(announcement.id)", "REQ", "COUNT", "NEG-OPEN"] {
            #expect(errors.contains { $0.contains(what) && $0.contains("SQLite error 11") }, "no error line for \(what): \(errors)")
        }
    }
}

/// Log lines captured by `CapturingLogHandler`.
final class LogLines: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])
    func append(_ level: Logger.Level, _ message: String) { lines.withLock { $0.append((level, message)) } }
    var snapshot: [(level: Logger.Level, message: String)] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        lines.append(level, message.description)
    }
}

/// A store whose writes and reads fail with `error`; lookups the policy needs still work.
struct FailingStore: EventStore {
    let base: SQLiteEventStore
    let error: StoreError

    func insert(_ event: NostrEvent) throws(StoreError) -> InsertOutcome { throw error }
    func contains(eventID: String) throws(StoreError) -> Bool { try base.contains(eventID: eventID) }
    func containsAddressable(kind: Int, pubkey: String, identifier: String) throws(StoreError) -> Bool {
        try base.containsAddressable(kind: kind, pubkey: pubkey, identifier: identifier)
    }
    func query(_ filters: [Filter], maxLimit: Int) throws(StoreError) -> [NostrEvent] { throw error }
    func count(_ filters: [Filter]) throws(StoreError) -> Int { throw error }
    func idListing(for filter: Filter, maxItems: Int, ordered: Bool) throws(StoreError) -> StoredIDListing { throw error }
    func announcements(identifier: String) throws(StoreError) -> [NostrEvent] { try base.announcements(identifier: identifier) }
    func tagValues(named name: String, ofKinds kinds: [Int]) throws(StoreError) -> [TaggedValue] {
        try base.tagValues(named: name, ofKinds: kinds)
    }
    func isReferenced(tagNames: [String], values: [String]) throws(StoreError) -> Bool {
        try base.isReferenced(tagNames: tagNames, values: values)
    }
    func subscribe(bufferLimit: Int?) -> AsyncStream<NostrEvent> { base.subscribe(bufferLimit: bufferLimit) }
    var publishedEventCount: Int { base.publishedEventCount }
    func metadata(_ key: String) throws(StoreError) -> String? { try base.metadata(key) }
    func setMetadata(_ key: String, _ value: String?) throws(StoreError) { try base.setMetadata(key, value) }
    func writeRelayItems(_ changes: [RelayItemsChange], metadata: [String: String?]) throws(StoreError) {
        try base.writeRelayItems(changes, metadata: metadata)
    }
    func forEachRelayItem(_ body: (String, RelayItem?) -> Void) throws(StoreError) { try base.forEachRelayItem(body) }
}
