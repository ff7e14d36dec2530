import Foundation
import Nostr

/// The served relay's shared abuse-limit state: open connections per client IP and in
/// total, and each IP's write bucket. One instance per relay; every connection uses it.
/// Thread-safe (one lock; every operation is a few dictionary steps).
public final class ClientAdmission: @unchecked Sendable {
    public let limits: ClientLimits
    let clock: any NodeClock
    private let lock = NSLock()
    private var connectionsByIP: [String: Int] = [:]
    private var total = 0
    private var ipBuckets: [String: TokenBucket] = [:]
    /// Above this many IP buckets, the full (idle) ones are dropped, so a stream of new
    /// addresses cannot grow the map without bound.
    static let bucketPruneThreshold = 10_000

    public init(limits: ClientLimits, clock: any NodeClock = SystemClock()) {
        self.limits = limits
        self.clock = clock
    }

    /// Reserves a connection slot for `ip`; nil when admitted (pair with `release`), else
    /// the cap that refused it.
    public func admit(ip: String) -> ConnectionRefusal? {
        lock.withLock {
            if total >= limits.maxConnections { return .total }
            if connectionsByIP[ip, default: 0] >= limits.maxConnectionsPerIP { return .perIP }
            total += 1
            connectionsByIP[ip, default: 0] += 1
            return nil
        }
    }

    /// Frees a slot reserved by `admit`.
    public func release(ip: String) {
        lock.withLock {
            total = max(0, total - 1)
            let left = connectionsByIP[ip, default: 0] - 1
            connectionsByIP[ip] = left > 0 ? left : nil
        }
    }

    /// Connections admitted and not yet released (all IPs).
    public var openConnections: Int { lock.withLock { total } }

    /// Connections admitted for `ip` and not yet released.
    public func openConnections(of ip: String) -> Int { lock.withLock { connectionsByIP[ip, default: 0] } }

    /// Takes one event from `ip`'s bucket; false when it is empty.
    func takeEvent(ip: String, now: Double) -> Bool {
        lock.withLock {
            var bucket = ipBuckets[ip] ?? TokenBucket(
                capacity: Double(limits.eventBurstPerIP), refillPerSecond: limits.eventsPerSecondPerIP, now: now)
            let taken = bucket.take(now: now)
            ipBuckets[ip] = bucket
            if ipBuckets.count > Self.bucketPruneThreshold {
                ipBuckets = ipBuckets.filter { !$0.value.isFull(now: now) }
            }
            return taken
        }
    }

    /// A fresh write budget for one connection from `ip`.
    public func connectionBudget(ip: String) -> ConnectionBudget {
        ConnectionBudget(admission: self, ip: ip)
    }
}
