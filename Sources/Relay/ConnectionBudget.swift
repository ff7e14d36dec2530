import Nostr

/// One connection's write budget: its own token bucket plus its IP's shared one. Confined
/// to the connection's task, like `RelayConnectionHandler`.
public final class ConnectionBudget {
    let admission: ClientAdmission
    /// The client IP the connection counts against.
    public let ip: String
    private var bucket: TokenBucket

    init(admission: ClientAdmission, ip: String) {
        self.admission = admission
        self.ip = ip
        bucket = TokenBucket(capacity: Double(admission.limits.eventBurstPerConnection),
                             refillPerSecond: admission.limits.eventsPerSecondPerConnection, now: admission.clock.now())
    }

    /// Charges one EVENT; nil when it may be processed, else the budget that refused it
    /// (nothing is charged then, so a refused event costs neither bucket).
    public func chargeEvent() -> RateLimitScope? {
        let now = admission.clock.now()
        guard bucket.canTake(now: now) else { return .connection }
        guard admission.takeEvent(ip: ip, now: now) else { return .ip }
        _ = bucket.take(now: now)
        return nil
    }

    /// The `OK false` message for an event refused by `scope`.
    public func refusalMessage(_ scope: RateLimitScope) -> String {
        let limits = admission.limits
        switch scope {
        case .connection:
            return MachineReadablePrefix.rateLimited.message(
                "slow down: at most \(Self.format(limits.eventsPerSecondPerConnection)) events/s per connection (burst \(limits.eventBurstPerConnection))")
        case .ip:
            return MachineReadablePrefix.rateLimited.message(
                "slow down: at most \(Self.format(limits.eventsPerSecondPerIP)) events/s per client address (burst \(limits.eventBurstPerIP))")
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
