extension RelayLifecycleStateMachine {
    /// Try to connect: Disconnected -> Connecting with a new generation. Ignored in any
    /// other status (an attempt or connection already exists, or the relay is being
    /// dropped).
    public mutating func connectStarted() -> [Action] {
        guard status == .disconnected else { return [] }
        generation += 1
        return transition(to: .connecting, reason: "connection attempt") + [.openConnection(generation: generation)]
    }

    /// The attempt of `generation` failed: Connecting -> Disconnected, and the failure goes
    /// to the health tracker. Ignored unless that attempt is the one in progress.
    public mutating func connectFailed(generation: Int, failure: Failure) -> [Action] {
        guard isAttemptInProgress(generation) else { return [] }
        return transition(to: .disconnected, reason: "connect failed: \(failure.message)") + [.attemptFailed(failure)]
    }

    /// The attempt of `generation` opened a connection: Connecting -> Syncing, the next
    /// daily resync is scheduled `dailyResyncDelay` seconds from `now`, and the sync
    /// strategy is chosen on the time since the last disconnect:
    ///
    /// | since the disconnect          | strategy                                          |
    /// |-------------------------------|---------------------------------------------------|
    /// | `< quickReconnectWindow`      | ``Action/startQuickReconnect(since:)`` from `disconnectedAt - catchUpMargin` |
    /// | `>= quickReconnectWindow`     | ``Action/startFreshStart``                        |
    /// | never disconnected (nor seen) | ``Action/startFreshStart``                        |
    ///
    /// - Returns: the actions; none when the attempt is not the one in progress (stale or
    ///   superseded): the caller then closes the connection it was handed.
    public mutating func connected(at now: Double, generation: Int, dailyResyncDelay: Double) -> [Action] {
        guard isAttemptInProgress(generation) else { return [] }
        let previousDisconnect = disconnectedAt
        connectedAt = now
        disconnectedAt = nil
        quietSince = nil
        let resyncAt = now + dailyResyncDelay
        nextDailyResync = resyncAt
        let strategy: Action
        if let previousDisconnect, now - previousDisconnect < configuration.quickReconnectWindow {
            strategy = .startQuickReconnect(since: Int64(previousDisconnect - configuration.catchUpMargin))
        } else {
            strategy = .startFreshStart
        }
        return [.resetLiveState, .scheduleDailyResync(at: resyncAt)]
            + transition(to: .syncing, reason: "connected") + [strategy]
    }

    /// The connection of `generation` ended at `now`, with `failure` or closed cleanly
    /// (`nil`). A relay being dropped (Disconnecting) is removed; any other goes back to
    /// Disconnected, and the end is recorded with the health tracker. Ignored for another
    /// generation, and when there is no connection to end (Disconnected, Connecting).
    public mutating func connectionEnded(at now: Double, generation: Int, failure: Failure?) -> [Action] {
        guard isCurrent(generation), status.isConnected || status == .disconnecting else { return [] }
        disconnectedAt = now
        quietSince = nil
        if status == .disconnecting { return [.resetLiveState, .removeRelay] }
        let reason = failure.map { "connection lost: \($0.message)" } ?? "connection closed"
        return [.resetLiveState] + transition(to: .disconnected, reason: reason)
            + [failure.map(Action.connectionLost) ?? .connectionClosed]
    }

    /// Nothing targets the relay any more: a connected relay (Syncing, Connected,
    /// ConnectedHistoricSyncFailures) moves to Disconnecting and its connection is closed
    /// (its end removes it); a Disconnected relay is removed at once. A relay still
    /// Connecting is left to finish its attempt (the next request decides), one already
    /// Disconnecting to end.
    public mutating func dropRequested() -> [Action] {
        switch status {
        case .disconnected:
            return [.removeRelay]
        case .syncing, .connected, .connectedHistoricSyncFailures:
            return transition(to: .disconnecting, reason: "no accepted announcement targets it any more") + [.closeConnection]
        case .connecting, .disconnecting:
            return []
        }
    }
}
