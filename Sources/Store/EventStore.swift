import Nostr

/// Persistent storage of Nostr events with NIP-01 semantics.
///
/// Implementations must be safe to call from any thread. `insert` applies replaceable,
/// addressable and NIP-09 deletion rules atomically; every newly saved (or ephemeral)
/// event is then published to `subscribe` streams.
public protocol EventStore: Sendable {
    /// Stores an event that has already been verified and accepted by policy.
    func insert(_ event: NostrEvent) throws(StoreError) -> InsertOutcome
    /// Whether an event with this id is stored.
    func contains(eventID: String) throws(StoreError) -> Bool
    /// Whether an addressable event `kind:pubkey:d` is stored.
    func containsAddressable(kind: Int, pubkey: String, identifier: String) throws(StoreError) -> Bool
    /// Events matching any filter, newest first (ties by id), each filter's `limit` applied
    /// and capped at `maxLimit`; duplicates across filters appear once.
    func query(_ filters: [Filter], maxLimit: Int) throws(StoreError) -> [NostrEvent]
    /// The next page of a served REQ: the JSON text of at most `maxEvents` matching events,
    /// exactly as stored, in ``query(_:maxLimit:)``'s order, continuing where the last page
    /// ended; `cursor.isFinished` once every match was handed out.
    func readStoredEvents(_ cursor: inout StoredEventCursor, maxEvents: Int) throws(StoreError) -> [String]
    /// Number of events matching any filter (NIP-45).
    func count(_ filters: [Filter]) throws(StoreError) -> Int
    /// `(created_at, id)` of events matching `filter`, or `.tooMany` when more than
    /// `maxItems` match. The filter's `limit` is ignored (negentropy needs all). In ascending
    /// order when `ordered`; otherwise in whatever order is cheapest (a negentropy item set
    /// sorts on sealing, and sorting a tag lookup in SQL costs it a temporary B-tree).
    func idListing(for filter: Filter, maxItems: Int, ordered: Bool) throws(StoreError) -> StoredIDListing
    /// Every stored 30617 announcement with identifier `d`, any author.
    func announcements(identifier: String) throws(StoreError) -> [NostrEvent]
    /// The first value of every tag named `name` (a single letter: the indexed tags) on
    /// stored events of `kinds`, with the event's id; an event's repeated equal values once.
    /// Cheaper than reading the events when only those tags matter (a restart rebuilding
    /// the sync index from tens of thousands of root events).
    func tagValues(named name: String, ofKinds kinds: [Int]) throws(StoreError) -> [TaggedValue]
    /// The same values as ``tagValues(named:ofKinds:)``, handed to `body` one by one as they
    /// are read (a million-event store's root tags never sit in memory all at once).
    func forEachTagValue(named name: String, ofKinds kinds: [Int], _ body: (TaggedValue) -> Void) throws(StoreError)
    /// Whether some stored event has a tag named one of `tagNames` whose first value is one of `values`.
    func isReferenced(tagNames: [String], values: [String]) throws(StoreError) -> Bool
    /// A stream of every event saved from now on (after its transaction committed).
    /// With `bufferLimit`, a consumer that falls that many events behind has its stream
    /// finished (it must resubscribe or disconnect) instead of growing memory without bound.
    func subscribe(bufferLimit: Int?) -> AsyncStream<NostrEvent>
    /// How many events have been published to subscribers so far.
    var publishedEventCount: Int { get }
    /// Small persistent key/value state (sync bookkeeping).
    func metadata(_ key: String) throws(StoreError) -> String?
    /// Sets (or with nil removes) a metadata value.
    func setMetadata(_ key: String, _ value: String?) throws(StoreError)
    /// Applies `changes` to the per-relay item sets in order and sets (nil: removes) the
    /// metadata values in `metadata`, all in one transaction.
    func writeRelayItems(_ changes: [RelayItemsChange], metadata: [String: String?]) throws(StoreError)
    /// Hands every listed relay's items to `body`, grouped by relay (in relay order); a
    /// listed relay without items comes once with nil.
    func forEachRelayItem(_ body: (_ relay: String, _ item: RelayItem?) -> Void) throws(StoreError)
}

extension EventStore {
    /// Stores without paged reads hand out every match in one page, serialised from `query`.
    public func readStoredEvents(_ cursor: inout StoredEventCursor, maxEvents: Int) throws(StoreError) -> [String] {
        if cursor.isFinished { return [] }
        let events = try query(cursor.filters, maxLimit: cursor.maxLimit)
        cursor.finish()
        return events.map(\.jsonText)
    }
}

extension EventStore {
    /// Stores without a cursor read them all first.
    public func forEachTagValue(named name: String, ofKinds kinds: [Int], _ body: (TaggedValue) -> Void) throws(StoreError) {
        for value in try tagValues(named: name, ofKinds: kinds) { body(value) }
    }

    /// An unbounded stream of every event saved from now on: nothing is ever dropped.
    public func subscribe() -> AsyncStream<NostrEvent> { subscribe(bufferLimit: nil) }
}

extension EventStore {
    /// `(created_at, id)` of events matching `filter` in ascending order (see
    /// ``idListing(for:maxItems:ordered:)``).
    public func idListing(for filter: Filter, maxItems: Int) throws(StoreError) -> StoredIDListing {
        try idListing(for: filter, maxItems: maxItems, ordered: true)
    }
}

/// One tag value of a stored event (``EventStore/tagValues(named:ofKinds:)``).
public struct TaggedValue: Sendable, Equatable {
    /// The event's id (hex).
    public let eventID: String
    /// The tag's first value.
    public let value: String

    public init(eventID: String, value: String) {
        self.eventID = eventID
        self.value = value
    }
}
