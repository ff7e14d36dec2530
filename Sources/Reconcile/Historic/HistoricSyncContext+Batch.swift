import Nostr

extension HistoricSyncContext {
    /// Runs one batch: a relay-wide NIP-77 session first when the batch is scoped so (and
    /// NIP-77 is allowed), else, or when that fails, its filters side by side with NIP-77
    /// (one at a time with REQ/EOSE: pages of overlapping filters would download the same
    /// events twice, while each NIP-77 session diffs against what is stored by then).
    /// `allowed` says whether NIP-77 may be tried now (the relay may turn out not to do it).
    func run(_ batch: HistoricBatch, allowed: @escaping @Sendable () -> Bool) async -> HistoricOutcome {
        if let scope = batch.relayWide, batch.negentropy, allowed(),
           let outcome = await reconcileRelayWide(since: scope.since, localFilters: scope.localFilters) {
            return outcome
        }
        let width = batch.negentropy ? max(1, configuration.batchFilterConcurrency) : 1
        let filters = batch.filters
        let useNegentropy = batch.negentropy && !configuration.disableNegentropy
        return await withTaskGroup(of: HistoricOutcome.self) { group -> HistoricOutcome in
            var next = 0
            var outcome = HistoricOutcome.complete
            for _ in 0..<min(width, filters.count) {
                let filter = filters[next]
                next += 1
                group.addTask { await sync(filter, tryNegentropy: useNegentropy && allowed()) }
            }
            while let result = await group.next() {
                if case .aborted = result {
                    group.cancelAll()
                    return .aborted
                }
                if case .failed = result, outcome == .complete { outcome = result }
                if next < filters.count {
                    let filter = filters[next]
                    next += 1
                    group.addTask { await sync(filter, tryNegentropy: useNegentropy && allowed()) }
                }
            }
            return outcome
        }
    }
}
