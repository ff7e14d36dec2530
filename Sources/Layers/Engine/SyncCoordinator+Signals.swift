import Health
import Nostr

/// Each relay's connection reports the relay's NOTICEs, CLOSEDs and OKs here (awaited before
/// the message is routed on): the health tracker classifies them, and a rate limit it
/// records is noted in the relay's gates before the request that reads the refusal asks
/// whether to wait.
extension SyncCoordinator: RelaySignalObserving {
    @discardableResult
    public func observeNotice(_ url: String, text: String) async -> RelayHealthStateMachine.RateLimitAction? {
        note(await health.observeNotice(url, text: text), for: url)
    }

    @discardableResult
    public func observeClosed(_ url: String, reason: String) async -> RelayHealthStateMachine.RateLimitAction? {
        note(await health.observeClosed(url, reason: reason), for: url)
    }

    @discardableResult
    public func observeOK(_ url: String, accepted: Bool, message: String) async -> RelayHealthStateMachine.RateLimitAction? {
        note(await health.observeOK(url, accepted: accepted, message: message), for: url)
    }

    private func note(_ action: RelayHealthStateMachine.RateLimitAction?, for key: String) -> RelayHealthStateMachine.RateLimitAction? {
        if let action, let url = RelayURL(key) { relays[url]?.gates.rateLimited(action) }
        return action
    }
}
