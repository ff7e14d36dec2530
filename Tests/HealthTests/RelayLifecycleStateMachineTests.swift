import Health
import Testing

/// The per-relay lifecycle machine, driven input by input in virtual time.
@Suite("Relay lifecycle state machine")
struct RelayLifecycleStateMachineTests {
    typealias Machine = RelayLifecycleStateMachine
    typealias Action = RelayLifecycleStateMachine.Action

    static let t0 = HealthFixture.t0
    /// The daily resync delay drawn at connect time (virtual).
    static let resyncDelay: Double = 86_400
    static let failure = Machine.Failure(kind: .closedByPeer, message: "connection reset by peer")
    static let configuration = RelayLifecycleConfiguration()

    // MARK: - Every input in every status

    /// A status the table starts from, reached through inputs only (generation 1).
    enum Start: String, CaseIterable, CustomTestStringConvertible {
        case disconnected, connecting, syncing, connected, connectedHistoricSyncFailures, disconnecting
        var testDescription: String { rawValue }

        /// The machine in this status: connected at `t0`, settled at `t0 + 7`.
        var machine: Machine {
            var m = Machine(configuration: RelayLifecycleStateMachineTests.configuration)
            _ = m.connectStarted()
            switch self {
            case .connecting: return m
            case .disconnected:
                _ = m.connectFailed(generation: 1, failure: RelayLifecycleStateMachineTests.failure)
                return m
            default: break
            }
            _ = m.connected(at: t0, generation: 1, dailyResyncDelay: resyncDelay)
            switch self {
            case .syncing: return m
            case .disconnecting:
                _ = m.dropRequested()
                return m
            case .connectedHistoricSyncFailures: m.batchFinished(generation: 1, failed: true)
            default: break
            }
            _ = m.tick(at: t0 + 1, pendingWork: false, owesWork: { false })
            _ = m.tick(at: t0 + 7, pendingWork: false, owesWork: { false })
            return m
        }
    }

    /// The inputs of the table, each for the current generation (1), at the instant the
    /// daily resync falls due.
    enum Input: String, CaseIterable, CustomTestStringConvertible {
        case connectStarted, connectFailed, connected, connectionClosed, connectionLost, dropRequested
        case tickOwingWork, dailyResyncDue
        var testDescription: String { rawValue }

        static let now = t0 + resyncDelay

        func apply(to m: inout Machine) -> [Action] {
            switch self {
            case .connectStarted: m.connectStarted()
            case .connectFailed: m.connectFailed(generation: 1, failure: failure)
            case .connected: m.connected(at: Self.now, generation: 1, dailyResyncDelay: 90_000)
            case .connectionClosed: m.connectionEnded(at: Self.now, generation: 1, failure: nil)
            case .connectionLost: m.connectionEnded(at: Self.now, generation: 1, failure: failure)
            case .dropRequested: m.dropRequested()
            case .tickOwingWork: m.tick(at: Self.now, pendingWork: false, owesWork: { true })
            case .dailyResyncDue: m.dailyResyncDue(at: Self.now, nextDelay: 85_000)
            }
        }
    }

    /// What an input does in a status: its actions and the status after it.
    struct Outcome: Equatable {
        var actions: [Action]
        var status: RelayConnectionStatus
    }

    /// The whole table: every input in every status. A status not listed for an input is
    /// unchanged with no action.
    static func expected(_ start: Start, _ input: Input) -> Outcome? {
        let now = Input.now
        let ended = "connection lost: \(failure.message)"
        let drop = "no accepted announcement targets it any more"
        switch (start, input) {
        case (.disconnected, .connectStarted):
            return Outcome(actions: [.statusChanged(from: .disconnected, to: .connecting, reason: "connection attempt"),
                                     .openConnection(generation: 2)], status: .connecting)
        case (.disconnected, .dropRequested):
            return Outcome(actions: [.removeRelay], status: .disconnected)
        case (.connecting, .connectFailed):
            return Outcome(actions: [.statusChanged(from: .connecting, to: .disconnected, reason: "connect failed: \(failure.message)"),
                                     .attemptFailed(failure)], status: .disconnected)
        case (.connecting, .connected):
            return Outcome(actions: [.resetLiveState, .scheduleDailyResync(at: now + 90_000),
                                     .statusChanged(from: .connecting, to: .syncing, reason: "connected"), .startFreshStart],
                           status: .syncing)
        case (.syncing, .connectionClosed), (.connected, .connectionClosed), (.connectedHistoricSyncFailures, .connectionClosed):
            let from = start.machine.status
            return Outcome(actions: [.resetLiveState, .statusChanged(from: from, to: .disconnected, reason: "connection closed"),
                                     .connectionClosed], status: .disconnected)
        case (.syncing, .connectionLost), (.connected, .connectionLost), (.connectedHistoricSyncFailures, .connectionLost):
            let from = start.machine.status
            return Outcome(actions: [.resetLiveState, .statusChanged(from: from, to: .disconnected, reason: ended),
                                     .connectionLost(failure)], status: .disconnected)
        case (.disconnecting, .connectionClosed), (.disconnecting, .connectionLost):
            return Outcome(actions: [.resetLiveState, .removeRelay], status: .disconnecting)
        case (.syncing, .dropRequested), (.connected, .dropRequested), (.connectedHistoricSyncFailures, .dropRequested):
            let from = start.machine.status
            return Outcome(actions: [.statusChanged(from: from, to: .disconnecting, reason: drop), .closeConnection],
                           status: .disconnecting)
        case (.syncing, .tickOwingWork):
            return Outcome(actions: [.resumeOwedWork], status: .syncing)
        case (.syncing, .dailyResyncDue):
            return Outcome(actions: [.scheduleDailyResync(at: now + 85_000), .startDailyResync], status: .syncing)
        case (.connected, .dailyResyncDue), (.connectedHistoricSyncFailures, .dailyResyncDue):
            let from = start.machine.status
            return Outcome(actions: [.scheduleDailyResync(at: now + 85_000),
                                     .statusChanged(from: from, to: .syncing, reason: "daily resync"), .startDailyResync],
                           status: .syncing)
        default:
            return nil
        }
    }

    @Test func startStatusesAreTheNamedOnes() {
        let statuses = Start.allCases.map(\.machine.status)
        #expect(statuses == [.disconnected, .connecting, .syncing, .connected, .connectedHistoricSyncFailures, .disconnecting])
        #expect(Set(statuses) == Set(RelayConnectionStatus.allCases))
    }

    @Test(arguments: Start.allCases, Input.allCases)
    func everyInputInEveryStatus(_ start: Start, _ input: Input) {
        var machine = start.machine
        let before = machine
        let actions = input.apply(to: &machine)
        if let outcome = Self.expected(start, input) {
            #expect(Outcome(actions: actions, status: machine.status) == outcome)
        } else {
            #expect(actions.isEmpty)
            // An ignored input changes nothing at all.
            #expect(machine == before)
        }
    }

    // MARK: - Generations

    @Test func everyAttemptGetsANewGeneration() {
        var m = Machine()
        #expect(m.generation == 0)
        #expect(m.connectStarted().last == .openConnection(generation: 1))
        _ = m.connectFailed(generation: 1, failure: Self.failure)
        #expect(m.connectStarted().last == .openConnection(generation: 2))
        _ = m.connected(at: Self.t0, generation: 2, dailyResyncDelay: Self.resyncDelay)
        _ = m.connectionEnded(at: Self.t0 + 10, generation: 2, failure: nil)
        #expect(m.connectStarted().last == .openConnection(generation: 3))
        #expect(m.generation == 3)
        #expect(m.isCurrent(3) && !m.isCurrent(2))
        #expect(m.isAttemptInProgress(3) && !m.isAttemptInProgress(2))
    }

    /// Inputs of an old or unknown generation are ignored in every status.
    @Test(arguments: Start.allCases, [0, 2])
    func otherGenerationsAreIgnored(_ start: Start, _ generation: Int) {
        let before = start.machine
        var m = before
        #expect(m.connected(at: Self.t0 + 50, generation: generation, dailyResyncDelay: 1).isEmpty)
        #expect(m.connectFailed(generation: generation, failure: Self.failure).isEmpty)
        #expect(m.connectionEnded(at: Self.t0 + 50, generation: generation, failure: nil).isEmpty)
        #expect(m.connectionEnded(at: Self.t0 + 50, generation: generation, failure: Self.failure).isEmpty)
        m.batchFinished(generation: generation, failed: true)
        #expect(m == before)
    }

    /// A connection of the previous attempt ending after the relay reconnected does not
    /// disconnect the new one.
    @Test func lateEndOfAnOldConnectionDoesNotTouchTheNewOne() {
        var m = Start.syncing.machine
        _ = m.connectionEnded(at: Self.t0 + 10, generation: 1, failure: Self.failure)
        _ = m.connectStarted()
        _ = m.connected(at: Self.t0 + 20, generation: 2, dailyResyncDelay: Self.resyncDelay)
        #expect(m.connectionEnded(at: Self.t0 + 21, generation: 1, failure: Self.failure).isEmpty)
        #expect(m.status == .syncing)
        #expect(m.disconnectedAt == nil)
        #expect(m.connectedAt == Self.t0 + 20)
    }

    // MARK: - Quick reconnect vs fresh start

    /// Disconnects at `t0 + 100`, reconnects `after` seconds later; the strategy chosen.
    func strategy(reconnectingAfter after: Double, configuration: RelayLifecycleConfiguration = configuration) -> Action? {
        var m = Machine(configuration: configuration)
        _ = m.connectStarted()
        _ = m.connected(at: Self.t0, generation: 1, dailyResyncDelay: Self.resyncDelay)
        _ = m.connectionEnded(at: Self.t0 + 100, generation: 1, failure: Self.failure)
        #expect(m.disconnectedAt == Self.t0 + 100)
        _ = m.connectStarted()
        return m.connected(at: Self.t0 + 100 + after, generation: 2, dailyResyncDelay: Self.resyncDelay).last
    }

    @Test func reconnectWithinTheWindowIsAQuickReconnectFromTheDisconnectLessTheMargin() {
        let since = Int64(Self.t0 + 100 - 900)
        #expect(strategy(reconnectingAfter: 0) == .startQuickReconnect(since: since))
        #expect(strategy(reconnectingAfter: 5) == .startQuickReconnect(since: since))
        #expect(strategy(reconnectingAfter: 899.999) == .startQuickReconnect(since: since))
    }

    @Test func reconnectAtOrPastTheWindowIsAFreshStart() {
        #expect(strategy(reconnectingAfter: 900) == .startFreshStart)
        #expect(strategy(reconnectingAfter: 900.001) == .startFreshStart)
        #expect(strategy(reconnectingAfter: 86_400) == .startFreshStart)
    }

    @Test func windowAndMarginComeFromTheConfiguration() {
        let custom = RelayLifecycleConfiguration(quickReconnectWindow: 60, catchUpMargin: 30, settleDelay: 6)
        #expect(strategy(reconnectingAfter: 59, configuration: custom) == .startQuickReconnect(since: Int64(Self.t0 + 70)))
        #expect(strategy(reconnectingAfter: 60, configuration: custom) == .startFreshStart)
    }

    /// The window is measured from the disconnect, not from the last connect: a connection
    /// that lasted a day and dropped a minute ago is caught up quickly.
    @Test func windowCountsFromTheDisconnectNotTheConnect() {
        var m = Start.syncing.machine
        _ = m.connectionEnded(at: Self.t0 + 86_400, generation: 1, failure: nil)
        _ = m.connectStarted()
        let actions = m.connected(at: Self.t0 + 86_460, generation: 2, dailyResyncDelay: Self.resyncDelay)
        #expect(actions.last == .startQuickReconnect(since: Int64(Self.t0 + 86_400 - 900)))
    }

    @Test func firstConnectionIsAFreshStart() {
        var m = Machine()
        _ = m.connectStarted()
        #expect(m.connected(at: Self.t0, generation: 1, dailyResyncDelay: Self.resyncDelay).last == .startFreshStart)
    }

    /// A failed attempt is not a disconnect: it does not move the window's start.
    @Test func failedAttemptsKeepTheDisconnectTime() {
        var m = Start.syncing.machine
        _ = m.connectionEnded(at: Self.t0 + 100, generation: 1, failure: Self.failure)
        _ = m.connectStarted()
        _ = m.connectFailed(generation: 2, failure: Self.failure)
        #expect(m.disconnectedAt == Self.t0 + 100)
        _ = m.connectStarted()
        let actions = m.connected(at: Self.t0 + 700, generation: 3, dailyResyncDelay: Self.resyncDelay)
        #expect(actions.last == .startQuickReconnect(since: Int64(Self.t0 + 100 - 900)))
    }

    /// The last-seen time saved by an earlier run makes the first connection after a quick
    /// restart a quick reconnect.
    @Test func restoredLastSeenMakesARestartAQuickReconnect() {
        var m = Machine()
        m.restore(lastSeen: Self.t0)
        #expect(m.disconnectedAt == Self.t0)
        _ = m.connectStarted()
        let actions = m.connected(at: Self.t0 + 120, generation: 1, dailyResyncDelay: Self.resyncDelay)
        #expect(actions.last == .startQuickReconnect(since: Int64(Self.t0 - 900)))
        #expect(m.disconnectedAt == nil)
    }

    @Test func restoreIsIgnoredOnceTheRelayWasAttempted() {
        var m = Machine()
        _ = m.connectStarted()
        m.restore(lastSeen: Self.t0)
        #expect(m.disconnectedAt == nil)
        _ = m.connectFailed(generation: 1, failure: Self.failure)
        m.restore(lastSeen: Self.t0)
        #expect(m.disconnectedAt == nil)
    }

    @Test func connectAndDisconnectTimesAreRecorded() {
        var m = Machine()
        _ = m.connectStarted()
        _ = m.connected(at: Self.t0, generation: 1, dailyResyncDelay: Self.resyncDelay)
        #expect(m.connectedAt == Self.t0)
        #expect(m.disconnectedAt == nil)
        _ = m.connectionEnded(at: Self.t0 + 30, generation: 1, failure: nil)
        #expect(m.connectedAt == Self.t0)
        #expect(m.disconnectedAt == Self.t0 + 30)
    }

    // MARK: - Completion check and settle delay

    @Test func syncingRelayCompletesAfterTwoQuietTicksASettleDelayApart() {
        var m = Start.syncing.machine
        #expect(m.tick(at: Self.t0 + 1, pendingWork: false, owesWork: { false }).isEmpty)
        #expect(m.quietSince == Self.t0 + 1)
        #expect(m.tick(at: Self.t0 + 6.999, pendingWork: false, owesWork: { false }).isEmpty)
        #expect(m.status == .syncing)
        #expect(m.tick(at: Self.t0 + 7, pendingWork: false, owesWork: { false })
            == [.statusChanged(from: .syncing, to: .connected, reason: "historic sync complete")])
        #expect(m.status == .connected)
        // Connected relays are not checked any more.
        #expect(m.tick(at: Self.t0 + 20, pendingWork: true, owesWork: { true }).isEmpty)
    }

    @Test func pendingWorkRestartsTheSettleDelay() {
        var m = Start.syncing.machine
        _ = m.tick(at: Self.t0 + 1, pendingWork: false, owesWork: { false })
        _ = m.tick(at: Self.t0 + 5, pendingWork: true, owesWork: { false })
        #expect(m.quietSince == nil)
        _ = m.tick(at: Self.t0 + 8, pendingWork: false, owesWork: { false })
        #expect(m.quietSince == Self.t0 + 8)
        #expect(m.tick(at: Self.t0 + 13, pendingWork: false, owesWork: { false }).isEmpty)
        #expect(m.tick(at: Self.t0 + 14, pendingWork: false, owesWork: { false }).count == 1)
        #expect(m.status == .connected)
    }

    @Test func aStartedBatchRestartsTheSettleDelay() {
        var m = Start.syncing.machine
        _ = m.tick(at: Self.t0 + 1, pendingWork: false, owesWork: { false })
        m.batchStarted()
        #expect(m.quietSince == nil)
        #expect(m.tick(at: Self.t0 + 7, pendingWork: false, owesWork: { false }).isEmpty)
        #expect(m.status == .syncing)
    }

    @Test func owedWorkIsNotCompletionAndIsResumed() {
        var m = Start.syncing.machine
        _ = m.tick(at: Self.t0 + 1, pendingWork: false, owesWork: { false })
        #expect(m.tick(at: Self.t0 + 7, pendingWork: false, owesWork: { true }) == [.resumeOwedWork])
        #expect(m.quietSince == nil)
        #expect(m.status == .syncing)
    }

    /// The diff is asked only when nothing is pending (it can be costly).
    @Test func owedWorkIsAskedOnlyWithoutPendingWork() {
        var m = Start.syncing.machine
        var asked = 0
        _ = m.tick(at: Self.t0 + 1, pendingWork: true, owesWork: { asked += 1; return true })
        #expect(asked == 0)
        _ = m.tick(at: Self.t0 + 2, pendingWork: false, owesWork: { asked += 1; return false })
        #expect(asked == 1)
        var connected = Start.connected.machine
        _ = connected.tick(at: Self.t0 + 20, pendingWork: false, owesWork: { asked += 1; return true })
        #expect(asked == 1)
    }

    @Test func settleDelayComesFromTheConfiguration() {
        var m = Machine(configuration: RelayLifecycleConfiguration(settleDelay: 30))
        _ = m.connectStarted()
        _ = m.connected(at: Self.t0, generation: 1, dailyResyncDelay: Self.resyncDelay)
        _ = m.tick(at: Self.t0 + 1, pendingWork: false, owesWork: { false })
        #expect(m.tick(at: Self.t0 + 30, pendingWork: false, owesWork: { false }).isEmpty)
        #expect(m.tick(at: Self.t0 + 31, pendingWork: false, owesWork: { false }).count == 1)
    }

    // MARK: - Historic failures

    @Test func aFailedBatchCompletesAsConnectedHistoricSyncFailures() {
        var m = Start.syncing.machine
        m.batchFinished(generation: 1, failed: false)
        #expect(!m.historicFailures)
        m.batchFinished(generation: 1, failed: true)
        m.batchFinished(generation: 1, failed: false)
        #expect(m.historicFailures)
        _ = m.tick(at: Self.t0 + 1, pendingWork: false, owesWork: { false })
        #expect(m.tick(at: Self.t0 + 7, pendingWork: false, owesWork: { false })
            == [.statusChanged(from: .syncing, to: .connectedHistoricSyncFailures,
                               reason: "historic sync done, some data could not be obtained")])
    }

    @Test func aFailedBatchOfAnOldConnectionDoesNotCount() {
        var m = Start.syncing.machine
        _ = m.connectionEnded(at: Self.t0 + 10, generation: 1, failure: nil)
        _ = m.connectStarted()
        _ = m.connected(at: Self.t0 + 20, generation: 2, dailyResyncDelay: Self.resyncDelay)
        m.batchFinished(generation: 1, failed: true)
        #expect(!m.historicFailures)
    }

    /// A quick reconnect only catches up: failures of the previous connection still count.
    /// A fresh start forgets them.
    @Test func failuresSurviveAQuickReconnectButNotAFreshStart() {
        var m = Start.syncing.machine
        m.batchFinished(generation: 1, failed: true)
        _ = m.connectionEnded(at: Self.t0 + 10, generation: 1, failure: Self.failure)
        _ = m.connectStarted()
        let actions = m.connected(at: Self.t0 + 20, generation: 2, dailyResyncDelay: Self.resyncDelay)
        #expect(actions.last == .startQuickReconnect(since: Int64(Self.t0 + 10 - 900)))
        _ = m.tick(at: Self.t0 + 21, pendingWork: false, owesWork: { false })
        _ = m.tick(at: Self.t0 + 27, pendingWork: false, owesWork: { false })
        #expect(m.status == .connectedHistoricSyncFailures)

        m.historicSyncRestarted()
        #expect(!m.historicFailures)
    }

    // MARK: - Daily resync

    @Test func connectingSchedulesTheDailyResyncWithTheDrawnDelay() {
        var m = Machine()
        _ = m.connectStarted()
        let actions = m.connected(at: Self.t0, generation: 1, dailyResyncDelay: 83_000)
        #expect(actions.contains(.scheduleDailyResync(at: Self.t0 + 83_000)))
        #expect(m.nextDailyResync == Self.t0 + 83_000)
        #expect(!m.isDailyResyncDue(at: Self.t0 + 82_999.999))
        #expect(m.isDailyResyncDue(at: Self.t0 + 83_000))
        #expect(m.dailyResyncDue(at: Self.t0 + 82_999, nextDelay: 1).isEmpty)
        #expect(m.nextDailyResync == Self.t0 + 83_000)
    }

    /// The resync puts a completed relay back to Syncing, reschedules, and re-evaluates
    /// Connected vs ConnectedHistoricSyncFailures when it completes again.
    @Test func dailyResyncReevaluatesTheCompletedStatus() {
        var m = Start.connectedHistoricSyncFailures.machine
        let due = Self.t0 + Self.resyncDelay
        #expect(m.dailyResyncDue(at: due, nextDelay: 88_000) == [
            .scheduleDailyResync(at: due + 88_000),
            .statusChanged(from: .connectedHistoricSyncFailures, to: .syncing, reason: "daily resync"),
            .startDailyResync,
        ])
        #expect(m.nextDailyResync == due + 88_000)
        #expect(!m.isDailyResyncDue(at: due))
        // The fresh start it triggers forgets the old failures.
        m.historicSyncRestarted()
        _ = m.tick(at: due + 1, pendingWork: false, owesWork: { false })
        _ = m.tick(at: due + 7, pendingWork: false, owesWork: { false })
        #expect(m.status == .connected)
    }

    @Test func dailyResyncRestartsTheSettleDelayOfASyncingRelay() {
        var m = Start.syncing.machine
        let due = Self.t0 + Self.resyncDelay
        _ = m.tick(at: due - 3, pendingWork: false, owesWork: { false })
        #expect(m.quietSince == due - 3)
        _ = m.dailyResyncDue(at: due, nextDelay: 86_000)
        #expect(m.quietSince == nil)
        #expect(m.tick(at: due + 4, pendingWork: false, owesWork: { false }).isEmpty)
        #expect(m.status == .syncing)
    }

    @Test func noDailyResyncWhileNotConnected() {
        let due = Self.t0 + Self.resyncDelay
        for start in [Start.disconnected, .connecting, .disconnecting] {
            #expect(!start.machine.isDailyResyncDue(at: due + 1_000_000))
        }
        var m = Start.syncing.machine
        _ = m.connectionEnded(at: Self.t0 + 5, generation: 1, failure: nil)
        #expect(!m.isDailyResyncDue(at: due))
        #expect(m.dailyResyncDue(at: due, nextDelay: 1).isEmpty)
    }
}
