/// What a relay connection reports while it reads: the relay's NOTICEs, CLOSEDs and OKs,
/// whose texts may announce a rate limit. The health tracker implements it; the connection
/// actor awaits each call before it routes the message on, so a request that reads the
/// refusal finds the cooldown already recorded.
public protocol RelaySignalObserving: Sendable {
    @discardableResult
    func observeNotice(_ url: String, text: String) async -> RelayHealthStateMachine.RateLimitAction?
    @discardableResult
    func observeClosed(_ url: String, reason: String) async -> RelayHealthStateMachine.RateLimitAction?
    @discardableResult
    func observeOK(_ url: String, accepted: Bool, message: String) async -> RelayHealthStateMachine.RateLimitAction?
}

/// The health tracker as the sync engine uses it (injected, so a test can swap it).
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
    func canAttempt(_ url: String) async -> Bool
    func isRateLimited(_ url: String) async -> Bool
    func status(of url: String) async -> RelayHealthStatus
    func consecutiveFailures(of url: String) async -> Int
    func nextAttemptAt(_ url: String) async -> Double?
    func lastError(of url: String) async -> String?
    func snapshots() async -> [RelayHealthSnapshot]
    func naughtyEntries() async -> [NaughtyListEntry]
}

extension RelayHealthTracker: RelayHealthTracking {}
