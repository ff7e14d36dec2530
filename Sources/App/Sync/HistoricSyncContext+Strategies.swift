import Foundation
import Nostr
import Reconcile

extension HistoricSyncContext {
    /// Historic sync of one filter: NIP-77 against the local store when the relay may
    /// support it, falling back to REQ/EOSE pagination when it does not.
    func sync(_ filter: Filter, tryNegentropy: Bool) async -> HistoricOutcome {
        if tryNegentropy {
            guard await negentropySlots.acquire() else { return .aborted }
            let result = await reconcile(filter)
            await negentropySlots.release()
            switch result {
            case .success(let diff):
                await coordinator.learnedNegentropy(relay, generation: generation, supported: true)
                let known = rejected.allIDs()
                let wanted = diff.need.map(\.hex).filter { !known.contains($0) }
                return await fetch(ids: wanted)
            case .failure(.disconnected):
                return .aborted
            case .failure(let failure):
                await coordinator.learnedNegentropy(relay, generation: generation, supported: false, reason: failure.description)
            }
        }
        return await paginate(filter)
    }

    /// One NIP-77 reconciliation of `filter` against the local store (bisecting windows the
    /// relay refuses as too large).
    func reconcile(_ filter: Filter) async -> Result<NegentropyClientResult, NegentropyClientFailure> {
        let link = RoutedNegentropyLink(session: session, router: router, timeout: configuration.requestTimeout, now: { clock.now() })
        let subscriptionID = await coordinator.nextSubscriptionID("neg")
        let result = await NegentropyClientSession.runSplitting(
            link: link, subscriptionID: subscriptionID, filter: filter, now: Int64(now),
            frameSizeLimit: configuration.negentropyFrameSizeLimit,
            storageFor: { try storage(for: $0) })
        link.finish()
        return result
    }

    /// Fetches ids in chunks (300), up to `idFetchConcurrency` chunks in flight, retrying
    /// what is still missing a bounded number of times (W31). Any delivered event counts as
    /// received, whatever the policy did (W7). Ids another batch is already fetching from this
    /// relay are not asked for again: their outcome is awaited (``IdFetchLedger``).
    func fetch(ids: [String]) async -> HistoricOutcome {
        let claim = await fetchLedger.claim(ids)
        let (own, missingOwn) = await fetchOwned(claim.mine)
        await fetchLedger.release(claim, missing: missingOwn)
        let missingOthers = await fetchLedger.missingOfOthers(claim)
        if let own { return own }
        let missing = missingOwn.count + missingOthers.count
        return missing == 0 ? .complete : .failed("\(missing) announced ids were never delivered")
    }

    /// Fetches `ids` in chunks; returns a failure or abort (nil when every chunk ran to its
    /// end) and the ids not delivered (all of an unfinished chunk's).
    private func fetchOwned(_ ids: [String]) async -> (HistoricOutcome?, Set<String>) {
        let size = configuration.idFetchChunk
        let chunks = stride(from: 0, to: ids.count, by: size).map { Array(ids[$0..<min($0 + size, ids.count)]) }
        return await withTaskGroup(of: (ChunkOutcome, [String]).self) { group in
            var next = 0
            var missing = Set<String>()
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
        case missing([String])
        case failed(String)
        case aborted
    }

    /// One chunk of ids, retried for what is still missing up to `idFetchRetries` times.
    func fetchChunk(_ ids: [String]) async -> ChunkOutcome {
        var chunk = ids
        var attempt = 0
        while !chunk.isEmpty {
            switch await collect(Filter(ids: chunk)) {
            case .aborted: return .aborted
            case .failed(let why): return .failed(why)
            case .events(let events):
                let got = Set(events.map(\.id))
                chunk.removeAll { got.contains($0) }
                attempt += 1
                // Bounded retries (W31): after them the rest stays missing.
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
        var seen = Set<String>()
        var steppedPast: Int64?
        while true {
            var page = filter
            page.until = until
            page.limit = configuration.pageLimit
            switch await collect(page) {
            case .aborted: return .aborted
            case .failed(let why): return .failed(why)
            case .events(let events):
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
