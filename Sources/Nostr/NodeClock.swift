import Foundation

/// The time source every time-based decision reads, injected so tests run in virtual time.
public protocol NodeClock: Sendable {
    /// Seconds since the Unix epoch.
    func now() -> Double
}

/// The real wall clock.
public struct SystemClock: NodeClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}

/// A clock that moves only when told to (tests and benchmarks).
public final class ManualClock: NodeClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Double

    public init(start: Double = 1_700_000_000) { current = start }

    public func now() -> Double { lock.withLock { current } }

    /// Moves time forward by `seconds`.
    public func advance(by seconds: Double) { lock.withLock { current += seconds } }

    /// Sets the time.
    public func set(_ value: Double) { lock.withLock { current = value } }
}
