import Nostr

/// What a reconciler asks of the rest of the engine while a batch runs: waits that other
/// stages end (a relay's rate-limit cooldown, room in its subscription table) and request
/// limits it learned, which the filter builders use from then on. The engine implements it;
/// tests swap in recorders.
public protocol RelayReconcilerHost: AnyObject, Sendable {
    /// Returns when `relay`'s rate-limit cooldown is over or its connection is gone.
    func waitForRateLimitEnd(_ relay: RelayURL) async
    /// A request was refused for `relay`'s subscription cap: returns once room was made.
    func relieveSubscriptionPressure(_ relay: RelayURL, reason: String) async
    /// `relay` refused a request with `refusedBytes` of values as too large.
    func learnedRequestTooLarge(_ relay: RelayURL, generation: Int, refusedBytes: Int) async
}
