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
