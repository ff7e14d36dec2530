/// The health tracker as the sync engine uses it (injected, so a test can swap it). The
/// engine is driven by what the `record…` and `observe…` calls and ``tick()`` return (retry
/// times, cooldowns and their ends); the queries below feed only its status snapshots.
public protocol RelayHealthTracking: RelaySignalObserving {
    func register(_ url: String) async
    func remove(_ url: String) async
    func recordAttempt(_ url: String) async
    @discardableResult
    func recordSuccess(_ url: String) async -> RelayHealthStateMachine.SuccessAction
    @discardableResult
    func recordFailure(_ url: String, kind: ConnectionFailureKind, message: String?) async -> RelayHealthStateMachine.FailureAction
    func recordDisconnect(_ url: String) async
    func tick() async -> RelayHealthStateMachine.TickResult
    func status(of url: String) async -> RelayHealthStatus
    func consecutiveFailures(of url: String) async -> Int
    func nextAttemptAt(_ url: String) async -> Double?
    func lastError(of url: String) async -> String?
    func snapshots() async -> [RelayHealthSnapshot]
    func naughtyEntries() async -> [NaughtyListEntry]
}

extension RelayHealthTracker: RelayHealthTracking {}
