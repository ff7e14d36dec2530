extension RelayLifecycleStateMachine {
    /// What the owner of a ``RelayLifecycleStateMachine`` must do after an input, in the
    /// order the input returned them. The machine has already recorded its own state change;
    /// the actions are the I/O and the bookkeeping outside it.
    public enum Action: Sendable, Equatable {
        /// The status moved from `from` to `to`: log `reason` and publish the change. Only
        /// returned when the status really changed.
        case statusChanged(from: RelayConnectionStatus, to: RelayConnectionStatus, reason: String)
        /// Record a connection attempt with the health tracker and open a connection in the
        /// background; its outcome comes back as ``RelayLifecycleStateMachine/connected(at:generation:dailyResyncDelay:)``
        /// or ``RelayLifecycleStateMachine/connectFailed(generation:failure:)`` with this
        /// `generation`.
        case openConnection(generation: Int)
        /// Close the established connection (the relay is being dropped); its end comes back
        /// as ``RelayLifecycleStateMachine/connectionEnded(at:generation:failure:)``.
        case closeConnection
        /// Forget the live subscriptions of the previous connection (they died with it) and
        /// the filters the relay refused on it.
        case resetLiveState
        /// Sync the relay from scratch: forget what was confirmed, then layer 1 and every
        /// targeted item.
        case startFreshStart
        /// Catch up every layer of what was confirmed with `since` (Unix seconds), then sync
        /// anything new from scratch.
        case startQuickReconnect(since: Int64)
        /// The daily resync: forget the NIP-77 support learned (re-probed), refresh what is
        /// known about the relay, and sync it from scratch.
        case startDailyResync
        /// The next daily resync is due at `at` (Unix seconds; already recorded).
        case scheduleDailyResync(at: Double)
        /// A connection attempt failed: record the failure with the health tracker (it
        /// decides when to retry).
        case attemptFailed(Failure)
        /// An established connection ended with an error: record the failure with the health
        /// tracker.
        case connectionLost(Failure)
        /// An established connection closed without an error: record a disconnect with the
        /// health tracker (not a failure).
        case connectionClosed
        /// The relay was being dropped and its connection has ended: stop tracking it.
        case removeRelay
        /// The relay is quiet but still owes work (e.g. held back by a rate limit): recompute
        /// its work and start it when the relay accepts work.
        case resumeOwedWork
    }
}
