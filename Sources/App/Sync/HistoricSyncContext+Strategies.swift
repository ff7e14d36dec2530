import Foundation
import Nostr
import Reconcile

extension HistoricSyncContext {
    /// Historic sync of one filter: NIP-77 against the local store when the relay may
    /// support it, falling back to REQ/EOSE pagination when it does not.
    func sync(_ filter: Filter, tryNegentropy: Bool) async -> HistoricOutcome {
        if tryNegentropy {
            let link = RoutedNegentropyLink(session: session, router: router, timeout: configuration.requestTimeout, now: { clock.now() })
            let subscriptionID = await coordinator.nextSubscriptionID("neg")
            let result = await NegentropyClientSession.runSplitting(
                link: link, subscriptionID: subscriptionID, filter: filter, now: Int64(now),
                frameSizeLimit: configuration.negentropyFrameSizeLimit,
                storageFor: { try storage(for: $0) })
            link.finish()
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

    /// Fetches ids in chunks (300), retrying what is still missing a bounded number of
    /// times (W31). Any delivered event counts as received, whatever the policy did (W7).
    func fetch(ids: [String]) async -> HistoricOutcome {
        var missingTotal = 0
        var start = 0
        while start < ids.count {
            var chunk = Array(ids[start..<min(start + configuration.idFetchChunk, ids.count)])
            start += configuration.idFetchChunk
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
                    if attempt > configuration.idFetchRetries {
                        missingTotal += chunk.count
                        chunk = []
                    }
                }
            }
        }
        return missingTotal == 0 ? .complete : .failed("\(missingTotal) announced ids were never delivered")
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
