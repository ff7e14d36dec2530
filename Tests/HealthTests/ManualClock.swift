import Foundation

/// A clock that moves only when the test says so; `now` is handed to the tracker actor.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double

    init(start: Double = HealthFixture.t0) { current = start }

    var now: Double { lock.withLock { current } }

    func advance(by seconds: Double) { lock.withLock { current += seconds } }

    func set(_ value: Double) { lock.withLock { current = value } }
}
