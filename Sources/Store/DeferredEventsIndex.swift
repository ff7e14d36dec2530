import Foundation
import Nostr

/// Holds events the policy refused only because what they reference is not stored yet
/// (``PolicyRejection/unrelated(kind:)``), so that uploads and sync pages that arrive
/// newest first lose nothing: when the referenced announcement or event is saved, the
/// ingestor takes the events waiting for it and ingests them again.
///
/// Each event is keyed by what it waits for: coordinates (`a`/`A`/`q` values containing
/// `:`) and event ids (64 lowercase hex in `e`/`E`/`q`). An event that references nothing
/// is not held: nothing it could wait for can arrive.
///
/// Bounded by count, by bytes of event JSON (oldest evicted first when over either) and by
/// age (``cleanup(now:)`` drops entries older than ``ttl``; ``take(waitingOn:now:)``
/// never hands out an expired one). Time is passed in, so tests run in virtual time.
/// Thread-safe.
public final class DeferredEventsIndex: @unchecked Sendable {
    /// Cumulative counts since start, and the current size (for the `grasp_deferred_*` metrics).
    public struct Statistics: Sendable, Equatable {
        /// Events held now.
        public var events = 0
        /// Bytes of event JSON held now.
        public var bytes = 0
        /// Events added (a duplicate of a held event is not counted).
        public var added = 0
        /// Events handed out for re-processing because what they waited for arrived.
        public var reprocessed = 0
        /// Re-processed events that were then stored.
        public var accepted = 0
        /// Events evicted (or refused) to stay within the event-count bound.
        public var evictedCount = 0
        /// Events evicted (or refused) to stay within the byte bound.
        public var evictedBytes = 0
        /// Events dropped after their TTL.
        public var expired = 0

        public init() {}
    }

    private struct Entry {
        /// The event as JSON text: far smaller than a parsed event's object graph.
        var json: String
        /// What the event waits for (coordinates and ids it references).
        var waitsOn: Set<String>
        var addedAt: Double
        var sequence: UInt64
    }

    /// Most events held.
    public let maxEvents: Int
    /// Most bytes of event JSON held.
    public let maxBytes: Int
    /// Seconds an event is held.
    public let ttl: Double

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Coordinate or id waited for -> ids of the held events waiting for it.
    private var waiters: [String: Set<String>] = [:]
    /// Insertion order for oldest-first eviction; entries taken out early stay here until
    /// skipped (their sequence no longer matches), which keeps removal O(1).
    private var order: [(sequence: UInt64, id: String)] = []
    private var orderHead = 0
    private var nextSequence: UInt64 = 0
    private var stats = Statistics()

    /// - Parameters:
    ///   - maxEvents: most events held (default 10,000).
    ///   - maxBytes: most bytes of event JSON held (default 32 MiB).
    ///   - ttl: seconds an event is held (default 3,600).
    public init(maxEvents: Int = 10_000, maxBytes: Int = 32 * 1024 * 1024, ttl: Double = 3_600) {
        self.maxEvents = max(maxEvents, 0)
        self.maxBytes = max(maxBytes, 0)
        self.ttl = ttl
    }

    /// The coordinates and ids `event` references, which it waits for.
    public static func waitKeys(of event: NostrEvent) -> [String] {
        var keys: [String] = []
        for tag in event.tags where tag.count > 1 {
            switch tag[0] {
            case "a", "A":
                if tag[1].contains(":") { keys.append(tag[1]) }
            case "e", "E":
                if Hex.isLowercaseHex(tag[1], byteCount: 32) { keys.append(tag[1]) }
            case "q":
                if tag[1].contains(":") || Hex.isLowercaseHex(tag[1], byteCount: 32) { keys.append(tag[1]) }
            default:
                break
            }
        }
        return keys
    }

    /// The keys under which events waiting for `event` are found: its id and, for
    /// addressable kinds, `kind:pubkey:d`, for replaceable kinds `kind:pubkey` and
    /// `kind:pubkey:` (the forms the policy's forward-reference check accepts).
    public static func ownKeys(of event: NostrEvent) -> [String] {
        switch event.kindClass {
        case .addressable: return [event.id, "\(event.kind):\(event.pubkey):\(event.dTag)"]
        case .replaceable: return [event.id, "\(event.kind):\(event.pubkey)", "\(event.kind):\(event.pubkey):"]
        default: return [event.id]
        }
    }

    /// Holds `event` (refused for a missing reference) until what it references arrives.
    /// An event already held is kept once; one that references nothing, or is larger than
    /// ``maxBytes``, is not held.
    public func add(_ event: NostrEvent, now: Double) {
        insert(event, now: now, counted: true)
    }

    private func insert(_ event: NostrEvent, now: Double, counted: Bool) {
        let json = event.jsonText
        let size = json.utf8.count
        let waitsOn = Set(Self.waitKeys(of: event))
        guard !waitsOn.isEmpty else { return }
        lock.withLock {
            guard entries[event.id] == nil else { return }
            guard maxEvents > 0 else { stats.evictedCount += 1; return }
            guard size <= maxBytes else { stats.evictedBytes += 1; return }
            // Make room first, so the new event is never its own victim.
            while entries.count >= maxEvents, evictOldest() { stats.evictedCount += 1 }
            while stats.bytes + size > maxBytes, evictOldest() { stats.evictedBytes += 1 }
            let sequence = nextSequence
            nextSequence += 1
            entries[event.id] = Entry(json: json, waitsOn: waitsOn, addedAt: now, sequence: sequence)
            for key in waitsOn { waiters[key, default: []].insert(event.id) }
            order.append((sequence, event.id))
            stats.bytes += size
            if counted { stats.added += 1 }
        }
    }

    /// Removes and returns the unexpired events waiting for `saved` (on its id or
    /// coordinate), oldest first, counted as re-processed; expired ones found on the way are
    /// dropped and counted as expired. `saved` itself, if held from an earlier refusal, is
    /// dropped too: it is stored now.
    public func take(waitingOn saved: NostrEvent, now: Double) -> [NostrEvent] {
        let keys = Self.ownKeys(of: saved)
        return lock.withLock {
            _ = remove(saved.id)
            var ids: Set<String> = []
            for key in keys { ids.formUnion(waiters[key] ?? []) }
            var found: [Entry] = []
            for id in ids {
                guard let entry = remove(id) else { continue }
                if now - entry.addedAt < ttl { found.append(entry) } else { stats.expired += 1 }
            }
            stats.reprocessed += found.count
            return found.sorted { $0.sequence < $1.sequence }.compactMap { try? NostrEvent(jsonText: $0.json) }
        }
    }

    /// Records that a re-processed event was stored.
    public func recordAccepted(_ count: Int = 1) {
        guard count != 0 else { return }
        lock.withLock { stats.accepted += count }
    }

    /// Puts back events taken for re-processing whose work was rolled back (a failed write
    /// transaction), so they are not lost; they count as neither added nor re-processed,
    /// and their age restarts at `now`.
    public func restore(_ events: [NostrEvent], now: Double) {
        guard !events.isEmpty else { return }
        for event in events { insert(event, now: now, counted: false) }
        lock.withLock { stats.reprocessed -= events.count }
    }

    /// Whether an event with `id` is held.
    public func contains(_ id: String) -> Bool {
        lock.withLock { entries[id] != nil }
    }

    /// Drops entries older than ``ttl``.
    public func cleanup(now: Double) {
        lock.withLock {
            let expired = entries.filter { now - $0.value.addedAt >= ttl }.map(\.key)
            for id in expired { _ = remove(id) }
            stats.expired += expired.count
            compactOrder()
        }
    }

    /// Counters and current size.
    public var statistics: Statistics {
        lock.withLock {
            var out = stats
            out.events = entries.count
            return out
        }
    }

    // MARK: Under the lock

    /// Removes the oldest held event; false when none is left.
    private func evictOldest() -> Bool {
        while orderHead < order.count {
            let (sequence, id) = order[orderHead]
            orderHead += 1
            if entries[id]?.sequence == sequence {
                _ = remove(id)
                compactOrder()
                return true
            }
        }
        compactOrder()
        return false
    }

    private func remove(_ id: String) -> Entry? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        for key in entry.waitsOn {
            waiters[key]?.remove(id)
            if waiters[key]?.isEmpty == true { waiters[key] = nil }
        }
        stats.bytes -= entry.json.utf8.count
        return entry
    }

    /// Drops consumed and stale order slots once they outweigh the live ones.
    private func compactOrder() {
        guard orderHead > 1024 || order.count > 2 * entries.count + 1024 else { return }
        order = order[orderHead...].filter { entries[$0.id]?.sequence == $0.sequence }
        orderHead = 0
    }
}
