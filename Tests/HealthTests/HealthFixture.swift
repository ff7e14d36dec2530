import Health

/// Shared constants and drivers for the health tests.
enum HealthFixture {
    /// An arbitrary virtual start time (Unix seconds, Nov 2023).
    static let t0: Double = 1_700_000_000
    static let url = "wss://relay.example.com"
    static let other = "wss://other.example.org"

    /// Records `count` transient failures of `url`, each at the instant the previous one
    /// allowed the next attempt, starting at `start`, without jitter. Returns the actions.
    @discardableResult
    static func failRepeatedly(
        _ machine: inout RelayHealthStateMachine, _ url: String = url, count: Int, from start: Double,
        kind: ConnectionFailureKind = .timeout
    ) -> [RelayHealthStateMachine.FailureAction] {
        var now = start
        var actions: [RelayHealthStateMachine.FailureAction] = []
        for _ in 0..<count {
            machine.recordAttempt(url, at: now)
            let action = machine.recordFailure(url, kind: kind, at: now)
            actions.append(action)
            now = action.retryAt
        }
        return actions
    }

    /// Keeps failing `url` at each permitted retry instant until the failure streak has
    /// lasted the dead threshold; returns the instant of the first failure that found the
    /// relay dead, and its action.
    static func failUntilDead(
        _ machine: inout RelayHealthStateMachine, _ url: String = url, from start: Double
    ) -> (at: Double, action: RelayHealthStateMachine.FailureAction) {
        var now = start
        var action = machine.recordFailure(url, kind: .timeout, at: now)
        while now - start < machine.configuration.deadThreshold {
            now = action.retryAt
            action = machine.recordFailure(url, kind: .timeout, at: now)
        }
        return (now, action)
    }
}
