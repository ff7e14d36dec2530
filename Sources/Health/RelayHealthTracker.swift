/// The relay health tracker as an actor: a ``RelayHealthStateMachine`` plus the clock and the
/// random source it must not read itself.
///
/// Every method reads the injected clock once and hands the instant (and, for failures, one
/// random sample for the jitter) to the machine, then returns the machine's action for the
/// caller to carry out. Tests inject a manual clock and a seeded generator and never sleep.
///
/// ```swift
/// let health = RelayHealthTracker(now: { clock.now() })
/// await health.recordAttempt(url)
/// switch await health.recordFailure(url, kind: .timeout) {
/// case .retry(let at, _), .retryMisconfigured(let at, _, _), .retryDead(let at): …
/// }
/// ```
public actor RelayHealthTracker {
    /// The tunables.
    public nonisolated let configuration: HealthConfiguration
    private var machine: RelayHealthStateMachine
    private let now: @Sendable () -> Double
    private var random: any RandomNumberGenerator
    /// Told of every naughty-list change, inside the actor turn that made it.
    private let onNaughtyListChange: @Sendable (NaughtyListChange) -> Void

    /// Creates a tracker using the system random generator for jitter.
    ///
    /// - Parameters:
    ///   - configuration: the tunables; reference defaults if omitted.
    ///   - now: the current time in Unix seconds (e.g. `{ clock.now() }` with the node's
    ///     clock). Called once per method.
    ///   - onNaughtyListChange: told when a relay is listed (or its entry updated) and when
    ///     it leaves the list (success, ``remove(_:)``, expiry found by ``tick()``). Called
    ///     on the actor, so it must return quickly (e.g. yield into a stream).
    public init(
        configuration: HealthConfiguration = HealthConfiguration(), now: @escaping @Sendable () -> Double,
        onNaughtyListChange: @escaping @Sendable (NaughtyListChange) -> Void = { _ in }
    ) {
        self.init(configuration: configuration, now: now, random: SystemRandomNumberGenerator(),
                  onNaughtyListChange: onNaughtyListChange)
    }

    /// Creates a tracker with an explicit random source for the backoff jitter (seeded in
    /// tests, so jittered delays are reproducible).
    public init(
        configuration: HealthConfiguration = HealthConfiguration(), now: @escaping @Sendable () -> Double,
        random: some RandomNumberGenerator & Sendable,
        onNaughtyListChange: @escaping @Sendable (NaughtyListChange) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.machine = RelayHealthStateMachine(configuration: configuration)
        self.now = now
        self.random = random
        self.onNaughtyListChange = onNaughtyListChange
    }

    // MARK: - Membership

    /// Starts tracking `url` (see ``RelayHealthStateMachine/register(_:)``).
    public func register(_ url: String) {
        machine.register(url)
    }

    /// Forgets `url` (see ``RelayHealthStateMachine/remove(_:)``).
    public func remove(_ url: String) {
        let wasListed = machine.naughtyList.entries[url] != nil
        machine.remove(url)
        if wasListed { onNaughtyListChange(.removed(url: url)) }
    }

    /// The tracked relay URLs, sorted.
    public var trackedRelays: [String] { machine.trackedRelays }

    // MARK: - Events

    /// A connection attempt to `url` starts now.
    public func recordAttempt(_ url: String) {
        machine.recordAttempt(url, at: now())
    }

    /// A connection to `url` was established (see ``RelayHealthStateMachine/recordSuccess(_:at:)``).
    @discardableResult
    public func recordSuccess(_ url: String) -> RelayHealthStateMachine.SuccessAction {
        let wasListed = machine.naughtyList.entries[url] != nil
        let action = machine.recordSuccess(url, at: now())
        if wasListed { onNaughtyListChange(.removed(url: url)) }
        return action
    }

    /// A connection attempt to `url` failed or its connection dropped unexpectedly
    /// (see ``RelayHealthStateMachine/recordFailure(_:kind:message:at:jitterSample:)``).
    @discardableResult
    public func recordFailure(
        _ url: String, kind: ConnectionFailureKind, message: String? = nil
    ) -> RelayHealthStateMachine.FailureAction {
        let before = machine.naughtyList.entries[url]
        let action = machine.recordFailure(url, kind: kind, message: message, at: now(), jitterSample: nextSample())
        reportListing(of: url, before: before)
        return action
    }

    /// A failure known only by its error text, classified by
    /// ``ConnectionFailureKind/init(classifying:)``.
    @discardableResult
    public func recordFailure(_ url: String, errorText: String) -> RelayHealthStateMachine.FailureAction {
        let before = machine.naughtyList.entries[url]
        let action = machine.recordFailure(url, errorText: errorText, at: now(), jitterSample: nextSample())
        reportListing(of: url, before: before)
        return action
    }

    /// We closed the connection to `url` on purpose.
    public func recordDisconnect(_ url: String) {
        machine.recordDisconnect(url, at: now())
    }

    /// `url` signalled rate limiting (see ``RelayHealthStateMachine/recordRateLimit(_:reason:at:)``).
    @discardableResult
    public func recordRateLimit(_ url: String, reason: String? = nil) -> RelayHealthStateMachine.RateLimitAction {
        machine.recordRateLimit(url, reason: reason, at: now())
    }

    /// Feeds a `NOTICE`; returns the rate-limit action if it was one.
    @discardableResult
    public func observeNotice(_ url: String, text: String) -> RelayHealthStateMachine.RateLimitAction? {
        machine.observeNotice(url, text: text, at: now())
    }

    /// Feeds a `CLOSED` reason (or `NEG-ERR` reason); returns the rate-limit action if it was one.
    @discardableResult
    public func observeClosed(_ url: String, reason: String) -> RelayHealthStateMachine.RateLimitAction? {
        machine.observeClosed(url, reason: reason, at: now())
    }

    /// Feeds an `OK`; returns the rate-limit action if it was a rate-limit rejection.
    @discardableResult
    public func observeOK(_ url: String, accepted: Bool, message: String) -> RelayHealthStateMachine.RateLimitAction? {
        machine.observeOK(url, accepted: accepted, message: message, at: now())
    }

    /// The periodic step (see ``RelayHealthStateMachine/tick(at:)``).
    public func tick() -> RelayHealthStateMachine.TickResult {
        let result = machine.tick(at: now())
        for url in result.naughtyExpired { onNaughtyListChange(.removed(url: url)) }
        return result
    }

    // MARK: - Queries

    /// The status of `url` now; its raw value is the `ngit_sync_relay_status` gauge.
    public func status(of url: String) -> RelayHealthStatus {
        machine.status(of: url, at: now())
    }

    /// Whether an attempt to `url` is allowed now.
    public func canAttempt(_ url: String) -> Bool {
        machine.canAttempt(url, at: now())
    }

    /// The earliest instant an attempt to `url` is allowed, `nil` if allowed now.
    public func nextAttemptAt(_ url: String) -> Double? {
        machine.nextAttemptAt(url, at: now())
    }

    /// Failures of `url` not yet forgiven (the `ngit_sync_relay_failures` gauge).
    public func consecutiveFailures(of url: String) -> Int {
        machine.consecutiveFailures(of: url, at: now())
    }

    /// The most recent error text of `url`.
    public func lastError(of url: String) -> String? {
        machine.lastError(of: url)
    }

    /// Whether a rate-limit cooldown of `url` is running now.
    public func isRateLimited(_ url: String) -> Bool {
        machine.isRateLimited(url, at: now())
    }

    /// The end of the running cooldown of `url`, `nil` if none.
    public func rateLimitedUntil(_ url: String) -> Double? {
        machine.rateLimitedUntil(url, at: now())
    }

    /// The dead relays, sorted.
    public func deadRelays() -> [String] {
        machine.deadRelays(at: now())
    }

    /// The number of tracked relays per status; every status present.
    public func statusCounts() -> [RelayHealthStatus: Int] {
        machine.statusCounts(at: now())
    }

    /// A snapshot of `url` for `/status`, `nil` if untracked.
    public func snapshot(of url: String) -> RelayHealthSnapshot? {
        machine.snapshot(of: url, at: now())
    }

    /// Snapshots of all tracked relays, sorted by URL.
    public func snapshots() -> [RelayHealthSnapshot] {
        machine.snapshots(at: now())
    }

    /// The unexpired naughty-list entries, sorted by URL (`ngit_sync_naughty_relay_info`).
    public func naughtyEntries() -> [NaughtyListEntry] {
        machine.naughtyList.listed(at: now())
    }

    /// Naughty relays per category, all categories present (`ngit_sync_naughty_relays_total`).
    public func naughtyCounts() -> [MisconfigurationCategory: Int] {
        machine.naughtyList.counts(at: now())
    }

    /// A copy of the underlying machine, for inspection in tests and diagnostics.
    public var stateMachine: RelayHealthStateMachine { machine }

    /// Reports the entry of `url` if a failure just listed it or updated its entry. Only
    /// misconfiguration failures touch the list; a transient one leaves it unchanged.
    private func reportListing(of url: String, before: NaughtyListEntry?) {
        guard let after = machine.naughtyList.entries[url], after != before else { return }
        onNaughtyListChange(.listed(after))
    }

    private func nextSample() -> Double {
        Double.random(in: 0..<1, using: &random)
    }
}
