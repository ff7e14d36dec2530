import Foundation
import Relay
import Store

/// Counts what the served relay did, for the served-path benchmarks (installed as the
/// relay's `RelayObserver`): WebSocket connections and NIP-77 sessions open now and at most,
/// and the EVENTs the relay stored. Called from connection tasks; every counter is behind
/// one lock.
public final class RelayActivityTally: RelayObserver, @unchecked Sendable {
    /// The counters at one moment.
    public struct Snapshot: Codable, Sendable {
        public var openConnections = 0
        public var connectionsOpened = 0
        /// NIP-77 sessions the relay holds now (preparing or open).
        public var openNegentropySessions = 0
        /// NEG-OPENs the relay took on (including those later refused by the budget).
        public var negentropySessionsOpened = 0
        /// Most NIP-77 sessions held at once (preparing or open).
        public var peakNegentropySessions = 0
        /// EVENTs stored (`IngestResult.saved`).
        public var eventsSaved = 0
        /// EVENTs not stored (duplicate, invalid, rejected, ...).
        public var eventsNotSaved = 0
    }

    private let lock = NSLock()
    private var counts = Snapshot()

    public init() {}

    /// The counters now.
    public var snapshot: Snapshot { lock.withLock { counts } }

    /// Waits (polling every 20 ms) until the relay has no open connection, at most `timeout`
    /// seconds. Returns whether it got there.
    public func waitUntilNoConnections(timeout: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while snapshot.openConnections > 0 {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    public func connectionOpened() {
        lock.withLock {
            counts.openConnections += 1
            counts.connectionsOpened += 1
        }
    }

    public func connectionClosed() {
        lock.withLock { counts.openConnections -= 1 }
    }

    public func messageReceived(verb: String) {}

    public func eventIngested(kind: Int, result: IngestResult) {
        lock.withLock {
            if result == .saved { counts.eventsSaved += 1 } else { counts.eventsNotSaved += 1 }
        }
    }

    public func negentropySessionOpened() {
        lock.withLock {
            counts.openNegentropySessions += 1
            counts.negentropySessionsOpened += 1
            counts.peakNegentropySessions = max(counts.peakNegentropySessions, counts.openNegentropySessions)
        }
    }

    public func negentropySessionClosed() {
        lock.withLock { counts.openNegentropySessions -= 1 }
    }
}
