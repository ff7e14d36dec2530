import Foundation
import Nostr

extension HistoricSyncContext {
    /// Historic sync of one filter: NIP-77 against the local store when the relay may
    /// support it, falling back to REQ/EOSE pagination when it does not.
    ///
    /// Only a refusal that says so, or silence to the NEG-OPEN, marks the relay as not doing
    /// NIP-77 (re-probed daily). Any other failure of one session (a relay error, a stall, a
    /// filter still too large at one value) syncs that filter with REQ/EOSE and leaves NIP-77
    /// in use for the rest.
    func sync(_ filter: Filter, tryNegentropy: Bool, attempt: Int = 0) async -> HistoricOutcome {
        if tryNegentropy {
            guard await negentropySlots.acquire() else { return .aborted }
            let result = await reconcile(filter)
            await negentropySlots.release()
            switch result {
            case .success(let diff):
                await reconciler.learnedNegentropy(generation: generation, supported: true)
                return await fetch(ids: wantedIDs(diff))
            case .failure(.disconnected):
                return .aborted
            case .failure(let failure) where await learnedUnsupported(from: failure):
                break
            case .failure(.rateLimited) where attempt < 5:
                await reconciler.waitForRateLimitEnd()
                return await sync(filter, tryNegentropy: true, attempt: attempt + 1)
            case .failure(.tooLarge(let reason)):
                // Refused even at one value: REQ would be refused the same way.
                return .failed("refused as too large: \(reason)")
            case .failure(let failure):
                await reconciler.negentropySessionFailed(reason: failure.description)
            }
        }
        return await paginate(filter)
    }

    /// One NIP-77 reconciliation of `filter` against the local store (bisecting windows the
    /// relay refuses as too large). The local side is the store's listing of `filter`, or of
    /// `localFilters` together when given (a relay-wide session, whose remote filter names
    /// no items); `splitBlockedWindows` false ends the run at a `blocked:` answer.
    func reconcile(_ filter: Filter, localFilters: FilterList? = nil, splitBlockedWindows: Bool = true)
        async -> Result<NegentropyClientResult, NegentropyClientFailure>
    {
        let link = channel.negentropyLink(timeout: configuration.requestTimeout)
        let subscriptionID = await reconciler.nextSubscriptionID("neg")
        let local = self.local
        let result = await NegentropyClientSession.runSplitting(
            link: link, subscriptionID: subscriptionID, filter: filter, now: Int64(now),
            frameSizeLimit: configuration.negentropyFrameSizeLimit, splitBlockedWindows: splitBlockedWindows,
            classify: classify,
            onTooLarge: { refused in await learnTooLarge(refused) },
            storageFor: { window in
                guard let localFilters else { return try local.negentropyStorage(for: window) }
                return try local.negentropyStorage(forUnionOf: localFilters.lazy.map { $0.restricted(to: window) })
            })
        await link.finish()
        return result
    }

    /// The ids a completed reconciliation found missing, less those the rejected-events index
    /// already knows the policy refuses.
    func wantedIDs(_ diff: NegentropyClientResult) -> [NegentropyID] {
        let known = Set(local.knownRejectedIDs().compactMap(NegentropyID.init(hex:)))
        guard !known.isEmpty else { return diff.need }
        return diff.need.filter { !known.contains($0) }
    }

    /// Records what a failed session says about NIP-77 support: true (recorded as not
    /// supported) for a refusal that says so or silence to the NEG-OPEN.
    func learnedUnsupported(from failure: NegentropyClientFailure) async -> Bool {
        switch failure {
        case .unsupported(let why):
            await reconciler.learnedNegentropy(generation: generation, supported: false, reason: why)
        case .timeout:
            await reconciler.learnedNegentropy(generation: generation, supported: false,
                                                reason: "no answer to NEG-OPEN within \(Int(configuration.requestTimeout)) s")
        default:
            return false
        }
        return true
    }

    /// A relay refused `filter` as too large: shrink its request limits.
    func learnTooLarge(_ filter: Filter) async {
        await reconciler.learnedTooLarge(generation: generation, refusedBytes: filter.largestValueListCost)
    }

    /// Fetches ids in chunks (300), up to `idFetchConcurrency` chunks in flight, retrying
    /// what is still missing a bounded number of times (decisions: Bounded id-fetch retries).
    /// Any delivered event counts as received, whatever the policy did (decisions: Any
    /// delivered event counts). Ids another batch is already fetching from this
    /// relay are not asked for again: their outcome is awaited (``IdFetchLedger``).
    ///
    /// Ids are claimed a window at a time (16 chunks): a first sync's reconciliation can find
    /// hundreds of thousands missing, and claiming them all at once kept a ledger entry for
    /// each while the chunks ran (22 MB at the peak of a 1,000,000-event sync).
    func fetch(ids: [NegentropyID]) async -> HistoricOutcome {
        let window = max(1, configuration.idFetchChunk) * max(1, configuration.idFetchConcurrency) * 4
        var missing = 0
        var start = 0
        while start < ids.count {
            let part = Array(ids[start..<min(start + window, ids.count)])
            start += window
            let claim = await fetchLedger.claim(part)
            let (own, missingOwn) = await fetchOwned(claim.mine)
            await fetchLedger.release(claim, missing: missingOwn)
            let missingOthers = await fetchLedger.missingOfOthers(claim)
            if let own { return own }
            missing += missingOwn.count + missingOthers.count
        }
        return missing == 0 ? .complete : .failed("\(missing) announced ids were never delivered")
    }

    /// Fetches `ids` in chunks; returns a failure or abort (nil when every chunk ran to its
    /// end) and the ids not delivered (all of an unfinished chunk's).
    private func fetchOwned(_ ids: [NegentropyID]) async -> (HistoricOutcome?, Set<NegentropyID>) {
        let size = configuration.idFetchChunk
        let chunks = stride(from: 0, to: ids.count, by: size).map { Array(ids[$0..<min($0 + size, ids.count)]) }
        return await withTaskGroup(of: (ChunkOutcome, [NegentropyID]).self) { group in
            var next = 0
            var missing = Set<NegentropyID>()
            var failure: HistoricOutcome?
            func startNext() {
                guard next < chunks.count, failure == nil else { return }
                let chunk = chunks[next]
                next += 1
                group.addTask { (await fetchChunk(chunk), chunk) }
            }
            for _ in 0..<max(1, configuration.idFetchConcurrency) { startNext() }
            for await (outcome, chunk) in group {
                switch outcome {
                case .missing(let ids): missing.formUnion(ids)
                case .aborted:
                    failure = .aborted  // the connection is gone: dominates
                    missing.formUnion(chunk)
                case .failed(let why):
                    if failure == nil { failure = .failed(why) }
                    missing.formUnion(chunk)
                }
                startNext()
            }
            // Chunks never started (after a failure) are missing too.
            while next < chunks.count {
                missing.formUnion(chunks[next])
                next += 1
            }
            return (failure, missing)
        }
    }

    /// What fetching one chunk of ids came to.
    enum ChunkOutcome: Sendable {
        /// The fetch ran to its end; these ids were never delivered.
        case missing([NegentropyID])
        case failed(String)
        case aborted
    }

    /// One chunk of ids, retried for what is still missing up to `idFetchRetries` times. The
    /// ids go out as hex only in the chunk's REQ.
    func fetchChunk(_ ids: [NegentropyID]) async -> ChunkOutcome {
        var chunk = ids
        var attempt = 0
        while !chunk.isEmpty {
            let filter = Filter(ids: chunk.map(\.hex))
            switch await collect(filter) {
            case .aborted: return .aborted
            case .failed(let why): return .failed(why)
            case .tooLarge(let why):
                await learnTooLarge(filter)
                guard chunk.count > 1 else { return .failed("refused as too large: \(why)") }
                let middle = chunk.count / 2
                var missing: [NegentropyID] = []
                for half in [Array(chunk[..<middle]), Array(chunk[middle...])] {
                    switch await fetchChunk(half) {
                    case .missing(let ids): missing += ids
                    case let other: return other
                    }
                }
                return .missing(missing)
            case .events(let events):
                let got = Set(events.map(\.id))
                chunk.removeAll { got.contains($0) }
                attempt += 1
                // Bounded retries (decisions: Bounded id-fetch retries): after them the rest stays missing.
                if attempt > configuration.idFetchRetries { return .missing(chunk) }
            }
        }
        return .missing([])
    }

    /// REQ/EOSE with `until` pagination. Pages overlap on the oldest second (`until` is
    /// inclusive) and are deduplicated by id, so many events sharing one second are not
    /// lost at a page boundary; a page that brings nothing new steps one second back, so a
    /// second with more events than the relay's cap cannot loop forever.
    func paginate(_ filter: Filter) async -> HistoricOutcome {
        var until = filter.until
        var seen = Set<NegentropyID>()
        var steppedPast: Int64?
        while true {
            var page = filter
            page.until = until
            page.limit = configuration.pageLimit
            switch await collect(page) {
            case .aborted: return .aborted
            case .failed(let why): return .failed(why)
            case .tooLarge(let why):
                // The relay takes smaller filters: the rest of this one in two halves.
                await learnTooLarge(page)
                var rest = filter
                rest.until = until
                guard let (first, second) = rest.splitAlongLargestValueList() else { return .failed("refused as too large: \(why)") }
                let a = await paginate(first)
                if case .aborted = a { return a }
                let b = await paginate(second)
                if case .aborted = b { return b }
                if case .failed = a { return a }
                return b
            case .events(let delivered):
                // Only what the page asked for moves the window: events a relay sends outside
                // the filter (stored or not by the policy) must not move `until` back up, or
                // the pages alternate forever.
                let events = delivered.filter(\.matchesFilter)
                guard let oldest = events.map(\.createdAt).min() else { return .complete }
                var fresh = 0
                for e in events where seen.insert(e.id).inserted { fresh += 1 }
                if fresh > 0 {
                    until = oldest
                } else if steppedPast != oldest, oldest > 0 {
                    steppedPast = oldest
                    until = oldest - 1
                } else {
                    return .complete
                }
                if let since = filter.since, let u = until, u < since { return .complete }
            }
        }
    }
}
