import Nostr

/// One relay connection's live (`limit: 0`) subscriptions as a pure value: which REQs are
/// open with which filters, whether the set is consolidated, the filters the relay closed,
/// and the relay's subscription cap as learned from its refusals. Every decision returns a
/// ``Change`` (REQs to open, CLOSEs to send, in which order); the engine sends them.
///
/// While the set is small each filter is its own REQ (decisions: Filter layers). When the
/// count would pass the consolidation threshold the whole set is replaced by a consolidated
/// one (new set first, then close the old; decisions: Consolidate by replacement), rebuilt
/// from the relay's confirmed and pending items with value lists as big as its request
/// limits allow, several filters per REQ: it matches exactly what the per-filter set
/// matched. Only when even that needs more than `maxLiveSubscriptions` REQs is Layer 3
/// replaced by one relay-wide filter on the reply kinds (approximate). A relay that refused
/// a live REQ for its subscription cap is consolidated at once, closing the old set first
/// (it has no room for both). A GRASP server gets one relay-wide filter instead of any item
/// filter.
public struct LiveSubscriptionSet: Sendable, Equatable {
    /// The tunables the set is sized by.
    public struct Limits: Sendable, Equatable {
        /// Open REQs past which the per-filter set is consolidated.
        public var consolidationThreshold: Int
        /// Filters packed into one consolidated REQ.
        public var filtersPerSubscription: Int
        /// Live REQs at most, whatever the relay takes.
        public var maxSubscriptions: Int
        /// Historic requests the same connection runs beside the live set.
        public var historicRequests: Int

        public init(consolidationThreshold: Int = 70, filtersPerSubscription: Int = 10, maxSubscriptions: Int = 150,
                    historicRequests: Int = 8) {
            self.consolidationThreshold = consolidationThreshold
            self.filtersPerSubscription = filtersPerSubscription
            self.maxSubscriptions = maxSubscriptions
            self.historicRequests = historicRequests
        }
    }

    /// What to send for a decision.
    public struct Change: Sendable, Equatable {
        /// REQs to open: subscription id and filters.
        public var open: [Subscription] = []
        /// Subscription ids to close.
        public var close: [String] = []
        /// Close before opening (the relay has no room for both sets).
        public var closeFirst = false
        /// Set when the decision consolidated the set: how many REQs it replaced and the
        /// items it was rebuilt from (for the log).
        public var consolidated: (replaced: Int, repos: Int, rootEvents: Int)?
        /// Set when Layer 3 is streamed by kind from now on (root events it would have named).
        public var approximatedRootEvents: Int?

        public var isEmpty: Bool { open.isEmpty && close.isEmpty }

        public static func == (a: Change, b: Change) -> Bool {
            a.open == b.open && a.close == b.close && a.closeFirst == b.closeFirst
                && a.consolidated?.replaced == b.consolidated?.replaced && a.consolidated?.repos == b.consolidated?.repos
                && a.consolidated?.rootEvents == b.consolidated?.rootEvents && a.approximatedRootEvents == b.approximatedRootEvents
        }
    }

    /// One live REQ.
    public struct Subscription: Sendable, Equatable {
        public var id: String
        public var filters: [Filter]
    }

    /// The live subscription of a GRASP server: everything new on the relay.
    public static let relayWideFilter = Filter(limit: 0)

    public var limits: Limits
    /// Open live REQs by subscription id.
    public private(set) var subscriptions: [String: [Filter]] = [:]
    /// Whether the set is consolidated (until the next reset).
    public private(set) var consolidated = false
    /// Whether the consolidated set streams Layer 3 by kind.
    public private(set) var layer3Approximate = false
    /// Filters the relay closed for other reasons than its cap or their size; reopened when
    /// its rate-limit cooldown ends.
    public private(set) var refused: [Filter] = []
    /// Subscriptions the relay holds open for one connection at most, learned from its
    /// "too many subscriptions" refusals.
    public private(set) var subscriptionCap: Int?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Live REQs the relay may hold: the configured maximum, and within a learned cap room
    /// for the historic requests and NIP-77 sessions of the same connection.
    public var budget: Int {
        guard let cap = subscriptionCap else { return limits.maxSubscriptions }
        return max(1, min(limits.maxSubscriptions, cap - limits.historicRequests - 2))
    }

    /// Forgets the live side of a connection (the relay's cap stays learned); returns the
    /// ids that were open.
    public mutating func reset() -> [String] {
        let ids = Array(subscriptions.keys)
        clear()
        return ids
    }

    /// ``reset()`` without the ids, for a caller that drops them. Swift 6.3.1's optimizer
    /// miscompiles an `Array(subscriptions.keys)` whose result is dropped once `reset()` is
    /// inlined into a loop: the new array is freed before the keys are copied into it (heap
    /// corruption; 548dad5's release SyncWorker crashed so in `perform`'s `.resetLiveState`).
    /// No array is built here.
    public mutating func clear() {
        subscriptions = [:]
        consolidated = false
        layer3Approximate = false
        refused = []
    }

    /// Opens `filters` where they are not streaming yet (see the type's rules).
    /// `consolidate` consolidates now (new set first); `force` too, closing the old set
    /// first. `items` gives the confirmed and pending items a consolidated set is rebuilt
    /// from; `nextID` names new subscriptions.
    public mutating func open(_ filters: [Filter], graspServer: Bool, consolidate: Bool = false, force: Bool = false,
                              requestLimits: RequestLimits, items: () -> RelaySyncNeeds, nextID: () -> String) -> Change {
        let filters = graspServer ? [Self.relayWideFilter] : filters
        var seen = Set(subscriptions.values.joined())
        var fresh: [Filter] = []
        for filter in filters where seen.insert(filter).inserted {
            if layer3Approximate && SyncFilterBuilder.isLayer3(filter) { continue }
            fresh.append(filter)
        }
        let consolidating = !consolidated && (consolidate || force)
        if fresh.isEmpty && !consolidating { return Change() }
        var change = Change()
        change.closeFirst = force
        let freshGroups = consolidated
            ? SyncFilterBuilder.pack(fresh, perSubscription: limits.filtersPerSubscription, limits: requestLimits)
            : fresh.map { [$0] }
        let budget = self.budget
        let overThreshold = subscriptions.count + freshGroups.count > min(limits.consolidationThreshold, budget)
        let overBudget = consolidated && !layer3Approximate && subscriptions.count + freshGroups.count > budget
        if consolidating || force || (!consolidated && overThreshold) || overBudget {
            // Everything live comes from the confirmed and pending items (fresh filters belong
            // to pending batches), so the new set is rebuilt from them, not from the old set.
            let needs = items()
            let (groups, approximate) = graspServer ? ([[Self.relayWideFilter]], false)
                : SyncFilterBuilder.consolidatedLiveFilters(
                    repos: needs.repos, rootEvents: needs.rootEvents, limits: requestLimits,
                    maxSubscriptions: budget, perSubscription: limits.filtersPerSubscription)
            change.open = groups.map { Subscription(id: nextID(), filters: $0) }
            change.close = Array(subscriptions.keys)
            change.consolidated = (change.close.count, needs.repos.count, needs.rootEvents.count)
            if approximate { change.approximatedRootEvents = needs.rootEvents.count }
            subscriptions = [:]
            consolidated = true
            layer3Approximate = approximate
        } else {
            change.open = freshGroups.map { Subscription(id: nextID(), filters: $0) }
        }
        for subscription in change.open { subscriptions[subscription.id] = subscription.filters }
        return change
    }

    /// Opens the live side of a historic batch of `needs` (`generic`: layer 1). When the set
    /// is consolidated, or these filters would push it past the threshold, the
    /// reference-sized filters (one per 100 values and tag name, often thousands) are never
    /// built: the batch's items go into a few filters as big as the request limits allow.
    public mutating func openBatch(needs: RelaySyncNeeds, generic: Bool, graspServer: Bool, requestLimits: RequestLimits,
                                   items: () -> RelaySyncNeeds, nextID: () -> String) -> Change {
        if generic {
            return open(SyncFilterBuilder.layer1(since: nil, live: true), graspServer: graspServer, requestLimits: requestLimits,
                        items: items, nextID: nextID)
        }
        let others = SyncFilterBuilder.filters(repos: needs.repos, rootEvents: [], since: nil, live: true, limits: requestLimits)
        let rootChunks = (needs.rootEvents.count + SyncFilterBuilder.chunkSize - 1) / SyncFilterBuilder.chunkSize
        let layer3Count = 3 * rootChunks
        // At least this many of the filters are new (at most every open filter is among them).
        let openFilters = subscriptions.values.reduce(0) { $0 + $1.count }
        let freshAtLeast = others.count + layer3Count - openFilters
        if consolidated || subscriptions.count + freshAtLeast > limits.consolidationThreshold {
            let packed = SyncFilterBuilder.packedLiveFilters(repos: needs.repos, rootEvents: needs.rootEvents, limits: requestLimits)
            return open(packed, graspServer: graspServer, consolidate: true, requestLimits: requestLimits, items: items, nextID: nextID)
        }
        let layer3 = SyncFilterBuilder.layer3(rootEvents: Array(needs.rootEvents), since: nil, live: true, limits: requestLimits)
        return open(others + layer3, graspServer: graspServer, requestLimits: requestLimits, items: items, nextID: nextID)
    }

    /// The relay closed subscription `id`: its filters, or nil when it is not one of ours.
    public mutating func closed(_ id: String) -> [Filter]? {
        subscriptions.removeValue(forKey: id)
    }

    /// Keeps filters the relay closed for reopening when its rate-limit cooldown ends.
    public mutating func keepRefused(_ filters: [Filter]) {
        refused += filters
    }

    /// The refused filters, handed out once.
    public mutating func takeRefused() -> [Filter] {
        defer { refused = [] }
        return refused
    }

    /// Learns the relay's subscription cap from a refusal: the number the text names
    /// (strfry, rust-nostr and this node say "... (max 50)" or "max: 50"), else `openNow`,
    /// what was open when it refused. Only ever lowers a known cap.
    public mutating func learnSubscriptionCap(from reason: String, openNow: Int) {
        let named = Self.namedMaximum(in: reason)
        let learned = max(1, named ?? openNow)
        subscriptionCap = min(subscriptionCap ?? learned, learned)
    }

    /// The number after "max" in a refusal text, if any.
    public static func namedMaximum(in text: String) -> Int? {
        let lower = text.lowercased()
        guard let range = lower.range(of: "max") else { return nil }
        let digits = lower[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits)
    }
}
