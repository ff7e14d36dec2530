import Foundation

/// Byte counters shared by a transport's sessions (benchmarks report traffic each way).
public final class RelayTrafficTally: @unchecked Sendable {
    private let lock = NSLock()
    private var sentBytes = 0
    private var receivedBytes = 0

    public init() {}

    public var sent: Int { lock.withLock { sentBytes } }
    public var received: Int { lock.withLock { receivedBytes } }

    public func add(sent: Int = 0, received: Int = 0) {
        lock.withLock {
            sentBytes += sent
            receivedBytes += received
        }
    }
}
