import Foundation
import Nostr
import Relay
import Store
import Testing
import Transport
import TransportTestKit

/// A hang guard: fails with `TestTimeout` if `body` has not finished within `seconds`
/// (never a timing assertion: the bound is far above what the operation needs). On timeout
/// the body is cancelled but not waited for, so a body stuck in a non-cancellable wait
/// fails the test instead of hanging the run.
func withDeadline<T: Sendable>(
    _ seconds: Double = 30, _ what: String = "operation",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.attach(continuation)
        let work = Task {
            do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            if !Task.isCancelled, outcome.settle(.failure(TestTimeout(what: what, seconds: seconds))) { work.cancel() }
        }
        outcome.onSettle { timer.cancel() }
    }
}

/// Resumes a continuation with whichever result comes first.
private final class FirstOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var settled = false
    private var cleanup: (@Sendable () -> Void)?

    func attach(_ c: CheckedContinuation<T, any Error>) { lock.withLock { continuation = c } }

    func onSettle(_ body: @escaping @Sendable () -> Void) {
        let runNow: Bool = lock.withLock {
            if settled { return true }
            cleanup = body
            return false
        }
        if runNow { body() }
    }

    /// True if this result was the first.
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        let (c, after): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = lock.withLock {
            if settled { return (nil, nil) }
            settled = true
            defer { continuation = nil; cleanup = nil }
            return (continuation, cleanup)
        }
        guard let c else { return false }
        c.resume(with: result)
        after?()
        return true
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "hang guard: \(what) did not finish within \(seconds) s" }
}

struct StreamEnded: Error, CustomStringConvertible {
    let what: String
    var description: String { "stream ended while waiting for \(what)" }
}

extension RelaySession {
    /// The next inbound message (hang guard: `deadline` seconds); throws if the stream ends.
    func next(deadline: Double = 30) async throws -> RelayMessage {
        let stream = messages
        let message: RelayMessage? = try await withDeadline(deadline, "next message") {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next()
        }
        guard let message else { throw StreamEnded(what: "a message") }
        return message
    }

    /// Messages up to and including the EOSE (or CLOSED) of `subscriptionID`.
    func collectUntilEOSE(_ subscriptionID: String, deadline: Double = 60) async throws -> [RelayMessage] {
        let stream = messages
        return try await withDeadline(deadline, "EOSE of \(subscriptionID)") {
            var out: [RelayMessage] = []
            for await m in stream {
                out.append(m)
                if case .eose(let id) = m, id == subscriptionID { return out }
                if case .closed(let id, _) = m, id == subscriptionID { return out }
            }
            throw StreamEnded(what: "EOSE of \(subscriptionID)")
        }
    }

    /// Every remaining message until the stream ends (hang guard `deadline`).
    func collectUntilEnd(deadline: Double = 30) async throws -> [RelayMessage] {
        let stream = messages
        return try await withDeadline(deadline, "end of stream") {
            var out: [RelayMessage] = []
            for await m in stream { out.append(m) }
            return out
        }
    }
}

/// Event ids of the EVENT messages of `subscriptionID`, in order.
func eventIDs(_ messages: [RelayMessage], _ subscriptionID: String) -> [String] {
    messages.compactMap { m in
        if case .event(let id, let e) = m, id == subscriptionID { return e.id }
        return nil
    }
}

/// Signed NIP-34 fixtures the default acceptance policy accepts.
enum Fixtures {
    static let owner = NostrKeypair(secretKeyHex: String(repeating: "01", count: 32))!
    static let other = NostrKeypair(secretKeyHex: String(repeating: "02", count: 32))!
    static let now = Int64(Date().timeIntervalSince1970)

    static func announcement(_ d: String = "repo1", createdAt: Int64 = now) -> NostrEvent {
        owner.sign(kind: 30617, tags: [["d", d], ["name", d], ["relays", InProcessRelayServer.serviceURL.description]],
                   content: "", createdAt: createdAt)
    }

    static func issue(for repo: NostrEvent, subject: String = "bug", content: String = "it breaks", createdAt: Int64 = now) -> NostrEvent {
        other.sign(kind: 1621, tags: [["a", "30617:\(repo.pubkey):\(repo.dTag)"], ["p", repo.pubkey], ["subject", subject]],
                   content: content, createdAt: createdAt)
    }

    /// An announcement plus `count` issues on it, newest first (distinct `created_at`).
    static func repoWithIssues(_ count: Int, d: String = "repo1", contentBytes: Int = 0) -> (repo: NostrEvent, issues: [NostrEvent]) {
        let repo = announcement(d)
        let padding = String(repeating: "p", count: contentBytes)
        let issues = (0..<count).map { i in
            issue(for: repo, subject: "issue \(i)", content: "issue \(i) \(padding)", createdAt: now - Int64(i) - 1)
        }
        return (repo, issues)
    }

    /// Ingests through the relay's ingestor; every event must be accepted.
    static func ingest(_ events: [NostrEvent], into relay: NostrRelay) {
        for e in events {
            let result = relay.ingestor.ingest(e)
            #expect(result.okAnswer.accepted, "event \(e.id) refused: \(result.okAnswer.message)")
        }
    }
}

/// A WebSocket transport allowed to dial loopback (tests only).
func loopbackTransport(
    compression: Bool = true, tls: SelfSignedCertificate? = nil, maxInbound: Int = 4 * 1024 * 1024,
    connectTimeout: Double = 10, closeTimeout: Double = 5, pingInterval: Double? = 30, inboundBufferMessages: Int = 256
) throws -> WebSocketRelayTransport {
    var configuration = WebSocketTransportConfiguration(
        maxInboundMessageBytes: maxInbound, connectTimeout: connectTimeout, closeTimeout: closeTimeout,
        pingInterval: pingInterval, compression: compression, inboundBufferMessages: inboundBufferMessages,
        addressPolicy: AddressPolicy(allowPrivate: true))
    if let tls { configuration.tlsConfiguration = try tls.clientTLSConfiguration() }
    return WebSocketRelayTransport(configuration: configuration)
}
