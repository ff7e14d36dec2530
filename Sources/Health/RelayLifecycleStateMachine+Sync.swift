extension RelayLifecycleStateMachine {
    /// A historic batch was registered on the current connection: the relay is busy again,
    /// the completion check starts over.
    public mutating func batchStarted() {
        quietSince = nil
    }

    /// A historic batch of `generation` finished; `failed`: some of its data could not be
    /// obtained, so the completed sync will be ConnectedHistoricSyncFailures (until the next
    /// fresh start). Ignored for another generation.
    public mutating func batchFinished(generation: Int, failed: Bool) {
        guard isCurrent(generation), failed else { return }
        historicFailures = true
    }

    /// A fresh start (of a new connection or of the daily resync) begins: failures of
    /// earlier batches no longer count. A quick reconnect keeps them (it only catches up).
    public mutating func historicSyncRestarted() {
        historicFailures = false
    }

    /// The completion check, run on every tick. Only a Syncing relay is checked:
    ///
    /// | `pendingWork` | `owesWork()` | `quietSince`             | effect                                        |
    /// |---------------|--------------|--------------------------|-----------------------------------------------|
    /// | true          | (not asked)  | any                      | quietSince = nil                              |
    /// | false         | true         | any                      | quietSince = nil, ``Action/resumeOwedWork``   |
    /// | false         | false        | nil                      | quietSince = now                              |
    /// | false         | false        | `> now - settleDelay`    | none (still settling)                         |
    /// | false         | false        | `<= now - settleDelay`   | -> Connected, or ConnectedHistoricSyncFailures when ``historicFailures`` |
    ///
    /// - Parameters:
    ///   - now: the current time, Unix seconds.
    ///   - pendingWork: whether the relay has a pending batch, or events not yet turned into
    ///     batches may still create one.
    ///   - owesWork: whether the relay's diff still gives it work not started yet; asked
    ///     only when there is no pending work (it can be costly).
    public mutating func tick(at now: Double, pendingWork: Bool, owesWork: () -> Bool) -> [Action] {
        guard status == .syncing else { return [] }
        if pendingWork {
            quietSince = nil
            return []
        }
        if owesWork() {
            quietSince = nil
            return [.resumeOwedWork]
        }
        guard let quiet = quietSince else {
            quietSince = now
            return []
        }
        guard now - quiet >= configuration.settleDelay else { return [] }
        return historicFailures
            ? transition(to: .connectedHistoricSyncFailures, reason: "historic sync done, some data could not be obtained")
            : transition(to: .connected, reason: "historic sync complete")
    }

    /// The daily resync, when due (see ``isDailyResyncDue(at:)``): the next one is scheduled
    /// `nextDelay` seconds from `now`, the relay goes back to Syncing, and it is synced from
    /// scratch (NIP-77 support re-probed). Ignored when not connected or not due.
    public mutating func dailyResyncDue(at now: Double, nextDelay: Double) -> [Action] {
        guard isDailyResyncDue(at: now) else { return [] }
        let resyncAt = now + nextDelay
        nextDailyResync = resyncAt
        quietSince = nil
        return [.scheduleDailyResync(at: resyncAt)] + transition(to: .syncing, reason: "daily resync") + [.startDailyResync]
    }
}
