import Foundation
import Nostr

/// Remembers 30617/30618 events the policy rejected (decisions: Rejected-events index), so sync does not
/// download them again and can re-process them the moment their dependency arrives.
///
/// Two tiers keyed by event id: a hot cache holding full events for a short time (default
/// 120 s) for re-processing, and a cold index of ids for a long time (default 7 days) for
/// skipping. Time is passed in, so tests run in virtual time.
///
/// Hits, misses, invalidations and expiries are reported to the observer given at creation
/// (``RejectedIndexActivity``), after the index's lock is released.
public final class RejectedEventsIndex: @unchecked Sendable {
    struct HotEntry: Codable, Equatable {
        var event: StoredEventJSON
        var pubkey: String
        var identifier: String
        var type: RejectedEventType
        var reason: RejectedReason
        var cachedAt: Double
    }

    struct ColdEntry: Codable, Equatable {
        var pubkey: String
        var identifier: String
        var type: RejectedEventType
        var reason: RejectedReason
        var rejectedAt: Double
    }

    /// Hot-tier lifetime in seconds.
    public let hotTTL: Double
    /// Cold-tier lifetime in seconds.
    public let coldTTL: Double
    private let lock = NSLock()
    private var hot: [String: HotEntry] = [:]
    private var cold: [String: ColdEntry] = [:]
    /// Told of hits, misses, invalidations and expiries (the metrics' counters).
    private let observer: @Sendable (RejectedIndexActivity) -> Void

    /// Creates an empty index.
    ///
    /// - Parameters:
    ///   - hotTTL: hot-tier lifetime in seconds.
    ///   - coldTTL: cold-tier lifetime in seconds.
    ///   - observer: told of every ``RejectedIndexActivity``, on the calling thread and
    ///     outside the index's lock; it must return quickly (e.g. yield into a stream).
    public init(hotTTL: Double = 120, coldTTL: Double = 604_800,
                observer: @escaping @Sendable (RejectedIndexActivity) -> Void = { _ in }) {
        self.hotTTL = hotTTL
        self.coldTTL = coldTTL
        self.observer = observer
    }

    /// Records a rejection in both tiers (re-adding refreshes the timestamps).
    public func add(_ event: NostrEvent, reason: RejectedReason, now: Double) {
        guard let type = RejectedEventType(kind: event.kind) else { return }
        let d = event.dTag
        lock.withLock {
            hot[event.id] = HotEntry(event: StoredEventJSON(event), pubkey: event.pubkey, identifier: d, type: type, reason: reason, cachedAt: now)
            cold[event.id] = ColdEntry(pubkey: event.pubkey, identifier: d, type: type, reason: reason, rejectedAt: now)
        }
    }

    /// Whether `id` is known as rejected: unexpired in the hot or the cold tier. (The reference
    /// ignores the hot TTL here and relies on a 60 s cleanup; checking it keeps membership
    /// correct whether or not cleanup has run.)
    public func contains(_ id: String, now: Double) -> Bool {
        lock.withLock {
            if let h = hot[id], now - h.cachedAt < hotTTL { return true }
            if let c = cold[id], now - c.rejectedAt < coldTTL { return true }
            return false
        }
    }

    /// Every id in either tier (negentropy treats them as already held).
    public func allIDs() -> Set<String> {
        lock.withLock { Set(hot.keys).union(cold.keys) }
    }

    /// Removes the entries of `pubkey`/`identifier` (of `type`, or all types) from both tiers
    /// and returns the still-fresh hot events for re-processing. Unlike the reference the hot entries go
    /// too (decisions: Hand-out removes hot entries): a re-processed event that is still
    /// rejected is added again.
    ///
    /// Reports, per type covered: the fresh events handed out (a hit each), or a miss when
    /// there was none, and the cold entries removed.
    public func invalidate(pubkey: String, identifier: String, type: RejectedEventType?, now: Double) -> [NostrEvent] {
        var hits: [RejectedEventType: Int] = [:]
        var removed: [RejectedEventType: Int] = [:]
        let fresh = lock.withLock {
            var fresh: [NostrEvent] = []
            for (id, entry) in hot where entry.pubkey == pubkey && entry.identifier == identifier && (type == nil || entry.type == type) {
                hot[id] = nil
                if now - entry.cachedAt < hotTTL, let e = entry.event.event {
                    fresh.append(e)
                    hits[entry.type, default: 0] += 1
                }
            }
            for (id, entry) in cold where entry.pubkey == pubkey && entry.identifier == identifier && (type == nil || entry.type == type) {
                cold[id] = nil
                removed[entry.type, default: 0] += 1
            }
            return fresh.sorted { $0.createdAt < $1.createdAt }
        }
        for covered in type.map({ [$0] }) ?? RejectedEventType.allCases {
            if let count = hits[covered] { observer(.hotCacheHits(covered, count: count)) } else { observer(.hotCacheMiss(covered)) }
            if let count = removed[covered] { observer(.invalidated(covered, count: count)) }
        }
        return fresh
    }

    /// Drops expired entries of both tiers, reporting how many of each type went.
    public func cleanup(now: Double) {
        var hotExpired: [RejectedEventType: Int] = [:]
        var coldExpired: [RejectedEventType: Int] = [:]
        lock.withLock {
            hot = hot.filter { _, entry in
                let keep = now - entry.cachedAt < hotTTL
                if !keep { hotExpired[entry.type, default: 0] += 1 }
                return keep
            }
            cold = cold.filter { _, entry in
                let keep = now - entry.rejectedAt < coldTTL
                if !keep { coldExpired[entry.type, default: 0] += 1 }
                return keep
            }
        }
        for type in RejectedEventType.allCases {
            if let count = hotExpired[type] { observer(.hotCacheExpired(type, count: count)) }
            if let count = coldExpired[type] { observer(.coldIndexExpired(type, count: count)) }
        }
    }

    /// Entry counts per tier and type (for the `ngit_rejected_*` metrics).
    public func counts() -> (hot: [RejectedEventType: Int], cold: [RejectedEventType: Int]) {
        lock.withLock {
            var h: [RejectedEventType: Int] = [:]
            var c: [RejectedEventType: Int] = [:]
            for e in hot.values { h[e.type, default: 0] += 1 }
            for e in cold.values { c[e.type, default: 0] += 1 }
            return (h, c)
        }
    }

    func withEntries<T>(_ body: ([String: HotEntry], [String: ColdEntry]) -> T) -> T {
        lock.withLock { body(hot, cold) }
    }

    func replaceEntries(hot newHot: [String: HotEntry], cold newCold: [String: ColdEntry]) {
        lock.withLock {
            hot.merge(newHot) { _, new in new }
            cold.merge(newCold) { _, new in new }
        }
    }

    /// Total entries (hot, cold).
    public var sizes: (hot: Int, cold: Int) { lock.withLock { (hot.count, cold.count) } }
}

/// An event kept as its JSON text inside the persisted index.
struct StoredEventJSON: Codable, Equatable {
    var json: String
    init(_ event: NostrEvent) { json = event.jsonText }
    var event: NostrEvent? { try? NostrEvent(jsonText: json) }
    init(from decoder: any Decoder) throws { json = try decoder.singleValueContainer().decode(String.self) }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(json)
    }
}
