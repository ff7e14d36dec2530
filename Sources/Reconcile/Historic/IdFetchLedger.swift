/// The event ids being fetched from one relay right now, so historic batches reconciling
/// overlapping filters side by side (`#e` and `#E` of the same root events, a status found by
/// both Layer 2 and Layer 3) download each event once.
///
/// A batch claims the ids its reconciliation found missing: ids nobody is fetching become
/// its own; for ids another fetch already claimed it waits for that fetch's outcome instead
/// of asking again, and counts those of them the other fetch could not get as missing too,
/// so a batch is never confirmed complete on the strength of a fetch that failed.
///
/// Ids are held as 32-byte values, not hex strings: a first sync of a large relay claims
/// hundreds of thousands at once (as strings about 130 bytes each, as values 32).
public actor IdFetchLedger {
    /// What a claim gave the caller.
    public struct Claim: Sendable {
        /// The caller's fetch token (pass it to ``release(_:missing:)``).
        public let token: Int
        /// Ids the caller must fetch itself.
        public let mine: [NegentropyID]
        /// Ids other fetches are getting, by their token.
        public let theirs: [Int: [NegentropyID]]
    }

    private var owner: [NegentropyID: Int] = [:]
    /// Ids fetched over this connection lately: a reconciliation that listed its local side
    /// before another batch's fetch of the same ids ended (so it still finds them missing)
    /// does not download them again. Two generations of at most half of `deliveredLimit`
    /// each: when the newer fills, the older is dropped, so the most recent fetches are
    /// always remembered and memory stays bounded (a forgotten id costs at worst a second
    /// download, never a missed event).
    private var delivered = Set<NegentropyID>()
    private var deliveredBefore = Set<NegentropyID>()
    private let deliveredLimit: Int
    private var nextToken = 0
    /// Outcomes (ids still missing) of finished fetches that claims still wait on.
    private var finished: [Int: Set<NegentropyID>] = [:]
    /// How many claims wait on each token.
    private var interest: [Int: Int] = [:]
    private var waiters: [Int: [CheckedContinuation<Set<NegentropyID>, Never>]] = [:]

    /// `deliveredLimit`: fetched ids remembered at most (the default, 64,000, is ~4 MB).
    public init(deliveredLimit: Int = 64_000) {
        self.deliveredLimit = max(2, deliveredLimit)
    }

    private func wasDelivered(_ id: NegentropyID) -> Bool {
        delivered.contains(id) || deliveredBefore.contains(id)
    }

    private func remember(_ id: NegentropyID) {
        if delivered.count >= deliveredLimit / 2 {
            deliveredBefore = delivered
            delivered = Set(minimumCapacity: deliveredLimit / 2)
        }
        delivered.insert(id)
    }

    /// Claims `ids` (duplicates within `ids` are claimed once; ids already fetched over this
    /// connection are left out).
    public func claim(_ ids: [NegentropyID]) -> Claim {
        nextToken += 1
        let token = nextToken
        var mine: [NegentropyID] = []
        var theirs: [Int: [NegentropyID]] = [:]
        for id in ids where !wasDelivered(id) {
            if let other = owner[id] {
                if other != token { theirs[other, default: []].append(id) }
            } else {
                owner[id] = token
                mine.append(id)
            }
        }
        for other in theirs.keys { interest[other, default: 0] += 1 }
        return Claim(token: token, mine: mine, theirs: theirs)
    }

    /// Ends the fetch of `claim.mine`: `missing` are the ids it did not get (all of them when
    /// it was aborted). Fetches waiting on it learn the outcome; the ids may be claimed
    /// again. Call it before ``missingOfOthers(_:)`` (two fetches may wait on each other's
    /// outcome; each has released its own by then).
    public func release(_ claim: Claim, missing: Set<NegentropyID>) {
        for id in claim.mine where owner[id] == claim.token { owner[id] = nil }
        for id in claim.mine where !missing.contains(id) { remember(id) }
        if (interest[claim.token] ?? 0) > 0 { finished[claim.token] = missing }
        for waiter in waiters.removeValue(forKey: claim.token) ?? [] { waiter.resume(returning: missing) }
    }

    /// Waits for the fetches holding `claim.theirs` and returns those of the ids they did
    /// not get.
    public func missingOfOthers(_ claim: Claim) async -> Set<NegentropyID> {
        var missing = Set<NegentropyID>()
        for (token, ids) in claim.theirs.sorted(by: { $0.key < $1.key }) {
            let outcome: Set<NegentropyID>
            if let done = finished[token] {
                outcome = done
            } else {
                outcome = await withCheckedContinuation { waiters[token, default: []].append($0) }
            }
            for id in ids where outcome.contains(id) { missing.insert(id) }
            withdrawInterest(token)
        }
        return missing
    }

    private func withdrawInterest(_ token: Int) {
        guard let count = interest[token] else { return }
        if count <= 1 {
            interest[token] = nil
            finished[token] = nil
        } else {
            interest[token] = count - 1
        }
    }

    /// Ids currently claimed (tests).
    public var claimedCount: Int { owner.count }
}
