import Foundation
import Nostr
@testable import Relay
import Store
import Synchronization
import Testing

/// A store that serves through a real SQLite store but counts (and may re-spell or fail) the
/// pages of served REQs.
final class PagedStore: EventStore, Sendable {
    let base: SQLiteEventStore
    let pagesRead = Mutex(0)
    /// Pages after this many fail.
    let failAfterPages: Int?
    /// Replaces each stored JSON text handed to the relay (another serialiser's spelling).
    let respell: (@Sendable (String) -> String)?

    init(base: SQLiteEventStore, failAfterPages: Int? = nil, respell: (@Sendable (String) -> String)? = nil) {
        self.base = base
        self.failAfterPages = failAfterPages
        self.respell = respell
    }

    func readStoredEvents(_ cursor: inout StoredEventCursor, maxEvents: Int) throws(StoreError) -> [String] {
        let n = pagesRead.withLock { $0 += 1; return $0 }
        if let failAfterPages, n > failAfterPages { throw .database("disk I/O error") }
        let page = try base.readStoredEvents(&cursor, maxEvents: maxEvents)
        return respell.map { page.map($0) } ?? page
    }

    func insert(_ event: NostrEvent) throws(StoreError) -> InsertOutcome { try base.insert(event) }
    func contains(eventID: String) throws(StoreError) -> Bool { try base.contains(eventID: eventID) }
    func containsAddressable(kind: Int, pubkey: String, identifier: String) throws(StoreError) -> Bool {
        try base.containsAddressable(kind: kind, pubkey: pubkey, identifier: identifier)
    }
    func query(_ filters: [Filter], maxLimit: Int) throws(StoreError) -> [NostrEvent] { try base.query(filters, maxLimit: maxLimit) }
    func count(_ filters: [Filter]) throws(StoreError) -> Int { try base.count(filters) }
    func idListing(for filter: Filter, maxItems: Int, ordered: Bool) throws(StoreError) -> StoredIDListing {
        try base.idListing(for: filter, maxItems: maxItems, ordered: ordered)
    }
    func announcements(identifier: String) throws(StoreError) -> [NostrEvent] { try base.announcements(identifier: identifier) }
    func tagValues(named name: String, ofKinds kinds: [Int]) throws(StoreError) -> [TaggedValue] { try base.tagValues(named: name, ofKinds: kinds) }
    func isReferenced(tagNames: [String], values: [String]) throws(StoreError) -> Bool { try base.isReferenced(tagNames: tagNames, values: values) }
    func subscribe(bufferLimit: Int?) -> AsyncStream<NostrEvent> { base.subscribe(bufferLimit: bufferLimit) }
    var publishedEventCount: Int { base.publishedEventCount }
    func metadata(_ key: String) throws(StoreError) -> String? { try base.metadata(key) }
    func setMetadata(_ key: String, _ value: String?) throws(StoreError) { try base.setMetadata(key, value) }
    func writeRelayItems(_ changes: [RelayItemsChange], metadata: [String: String?]) throws(StoreError) {
        try base.writeRelayItems(changes, metadata: metadata)
    }
    func forEachRelayItem(_ body: (String, RelayItem?) -> Void) throws(StoreError) { try base.forEachRelayItem(body) }
}

@Suite("Served relay: stored events streamed as stored JSON, page by page")
struct StoredEventStreamingTests {
    static let key = NostrKeypair(secretKey: [UInt8](repeating: 0, count: 31) + [7])!

    /// `count` kind-1 notes in a fresh store, newest first.
    static func notes(_ count: Int, in store: SQLiteEventStore) throws -> [NostrEvent] {
        let events = (0..<count).map { key.sign(kind: 1, content: "note \($0)", createdAt: 1_700_000_000 + Int64($0)) }
        for e in events { try #require(try store.insert(e) == .saved) }
        return events.reversed()
    }

    static func relay(_ store: PagedStore) -> NostrRelay {
        NostrRelay(ingestor: EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: []))))
    }

    /// Runs a connection loop that receives `messages`, hands every text written to the
    /// client to `written`, and ends when `written` says so.
    static func run(relay: NostrRelay, messages: [String], written: @escaping @Sendable (String) async -> Bool) async {
        let (done, doneContinuation) = AsyncStream<Void>.makeStream()
        await RelayConnectionLoop.run(
            relay: relay,
            readClient: { deliver in
                for m in messages { await deliver(.text(m)) }
                for await _ in done {}
            },
            write: { text in
                if await written(text) { doneContinuation.finish() }
            },
            close: { _ in doneContinuation.finish() })
    }

    @Test("the next page is read only after the client's writer took the previous one; EVENTs carry the stored JSON")
    func pagesFollowTheWriter() async throws {
        let base = try SQLiteEventStore()
        let events = try Self.notes(600, in: base)
        let store = PagedStore(base: base)
        let (firstWrite, firstWriteContinuation) = AsyncStream<Int>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let texts = Mutex<[String]>([])
        let reader = Task {
            await Self.run(relay: Self.relay(store), messages: [#"["REQ","s",{"kinds":[1]}]"#]) { text in
                let n = texts.withLock { $0.append(text); return $0.count }
                if n == 1 {
                    // The client is not reading: the first EVENT's write waits.
                    firstWriteContinuation.yield(store.pagesRead.withLock { $0 })
                    for await _ in release { break }
                }
                return text.hasPrefix("[\"EOSE\"")
            }
        }
        var waiting = firstWrite.makeAsyncIterator()
        let pagesWhenFirstWriteWaited = await waiting.next()
        #expect(pagesWhenFirstWriteWaited == 1)
        releaseContinuation.yield()
        await reader.value
        // 500 (the default limit) in pages of 256: two reads, the second after the first page went out.
        #expect(store.pagesRead.withLock { $0 } == 2)
        let all = texts.withLock { $0 }
        #expect(all == events.prefix(500).map { "[\"EVENT\",\"s\"," + $0.jsonText + "]" } + [#"["EOSE","s"]"#])
    }

    @Test("the stored text goes out verbatim (not parsed and re-serialised), after the subscription id escaped once")
    func storedTextVerbatim() async throws {
        let base = try SQLiteEventStore()
        let events = try Self.notes(3, in: base)
        // Another serialiser's spelling of each stored event.
        let store = PagedStore(base: base) { json in " " + json.replacingOccurrences(of: ",\"kind\":", with: ", \"kind\" : ") }
        let texts = Mutex<[String]>([])
        await Self.run(relay: Self.relay(store), messages: [#"["REQ","q\"\\ü",{"kinds":[1],"limit":2}]"#]) { text in
            texts.withLock { $0.append(text) }
            return text.hasPrefix("[\"EOSE\"")
        }
        let prefix = #"["EVENT","q\"\\ü", "#
        let expected = events.prefix(2).map { prefix + $0.jsonText.replacingOccurrences(of: ",\"kind\":", with: ", \"kind\" : ") + "]" }
        #expect(texts.withLock { $0 } == expected + [#"["EOSE","q\"\\ü"]"#])
        for text in texts.withLock({ $0 }).dropLast() {
            guard case .event(let id, let event)? = try? RelayMessage.decode(text) else {
                Issue.record("not an EVENT: \(text)")
                continue
            }
            #expect(id == "q\"\\ü")
            #expect(events.contains(event))
        }
    }

    @Test("a store failure after the first page ends the subscription with CLOSED error:, and no EOSE")
    func failureMidStream() async throws {
        let base = try SQLiteEventStore()
        _ = try Self.notes(400, in: base)
        let store = PagedStore(base: base, failAfterPages: 1)
        let texts = Mutex<[String]>([])
        await Self.run(relay: Self.relay(store), messages: [#"["REQ","s",{"kinds":[1]}]"#]) { text in
            texts.withLock { $0.append(text) }
            return !text.hasPrefix("[\"EVENT\"")
        }
        let all = texts.withLock { $0 }
        #expect(all.count == 257)
        #expect(all.dropLast().allSatisfy { $0.hasPrefix(#"["EVENT","s",{"#) })
        #expect(all.last == #"["CLOSED","s","error: could not query events"]"#)
    }
}
