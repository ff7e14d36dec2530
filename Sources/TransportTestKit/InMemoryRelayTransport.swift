import Foundation
import Nostr
import Relay
import Transport

/// A `RelayTransport` wired to in-process relays: `connect(to:)` opens a
/// `LocalRelayConnection` to the `NostrRelay` registered for that URL, so the sync engine
/// runs against the real relay implementation without sockets.
///
/// Connecting to a URL with no relay registered fails with `.connectionRefused`.
public final class InMemoryRelayTransport: RelayTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var relays: [RelayURL: NostrRelay] = [:]
    private var attempts: [RelayURL: Int] = [:]
    private var sessions: [RelayURL: [InMemoryRelaySession]] = [:]
    /// Outbound limit applied by sessions (the WebSocket transport's default, 128 KiB).
    public let maxOutboundMessageBytes: Int
    /// Inbound buffer bound (messages) of each session.
    public let inboundBufferMessages: Int

    public init(maxOutboundMessageBytes: Int = 128 * 1024, inboundBufferMessages: Int = RelayMessageStream.defaultMaxMessages) {
        self.maxOutboundMessageBytes = maxOutboundMessageBytes
        self.inboundBufferMessages = inboundBufferMessages
    }

    /// Serves `relay` at `url` (replacing any relay registered there).
    public func register(_ relay: NostrRelay, at url: RelayURL) {
        lock.withLock { relays[url] = relay }
    }

    /// Stops serving `url`: later connects are refused and open sessions are dropped by the
    /// "peer" (their streams end with `.closedByPeer`).
    public func unregister(_ url: RelayURL) async {
        let open: [InMemoryRelaySession] = lock.withLock {
            relays[url] = nil
            return sessions.removeValue(forKey: url) ?? []
        }
        for session in open { await session.dropByPeer() }
    }

    /// Connection attempts made to `url` so far.
    public func connectionAttempts(to url: RelayURL) -> Int {
        lock.withLock { attempts[url, default: 0] }
    }

    /// Sessions opened to `url` so far (open or ended).
    public func openedSessions(to url: RelayURL) -> [InMemoryRelaySession] {
        lock.withLock { sessions[url] ?? [] }
    }

    public func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        let relay: NostrRelay? = lock.withLock {
            attempts[url, default: 0] += 1
            return relays[url]
        }
        guard let relay else { throw .connectionRefused("no in-memory relay at \(url)") }
        let session = InMemoryRelaySession(
            url: url, relay: relay, maxOutboundMessageBytes: maxOutboundMessageBytes, inboundBufferMessages: inboundBufferMessages)
        lock.withLock { sessions[url, default: []].append(session) }
        return session
    }
}

/// A session over a `LocalRelayConnection`: texts from the relay are decoded into
/// `RelayMessage`s (undecodable ones skipped and counted, as the WebSocket session does) and
/// fed through the same bounded `RelayMessageStream`.
///
/// Back-pressure stops at the session's reader; the relay side of `LocalRelayConnection`
/// buffers without bound (acceptable for a test double).
public final class InMemoryRelaySession: RelaySession, @unchecked Sendable {
    public let url: RelayURL
    public let messages: RelayMessageStream
    private let inbound: RelayMessageStream.Continuation
    private let connection: LocalRelayConnection
    private let maxOutboundMessageBytes: Int
    private let lock = NSLock()
    private var ended = false
    private var closedByUs = false
    private var reason: TransportError?
    private var undecodable = 0
    private var pump: Task<Void, Never>?

    init(url: RelayURL, relay: NostrRelay, maxOutboundMessageBytes: Int, inboundBufferMessages: Int) {
        self.url = url
        self.maxOutboundMessageBytes = maxOutboundMessageBytes
        connection = LocalRelayConnection(relay: relay)
        (messages, inbound) = RelayMessageStream.makeStream(maxMessages: inboundBufferMessages)
        let texts = connection.fromRelay
        pump = Task { [inbound] in
            for await text in texts {
                guard let message = try? RelayMessage.decode(text) else {
                    self.lock.withLock { self.undecodable += 1 }
                    continue
                }
                await inbound.send(message, bytes: text.utf8.count)
                if Task.isCancelled { break }
            }
            self.finish(.closedByPeer(code: nil, reason: nil))
        }
    }

    /// Relay texts that were not relay messages (skipped).
    public var undecodableMessages: Int { lock.withLock { undecodable } }

    public func send(_ message: ClientMessage) async throws(TransportError) {
        let text = message.jsonText
        guard text.utf8.count <= maxOutboundMessageBytes else { throw .messageTooLarge(limit: maxOutboundMessageBytes) }
        guard lock.withLock({ !ended }) else { throw .notConnected }
        connection.send(text)
    }

    public func close() async {
        lock.withLock {
            closedByUs = true
            if !ended { reason = nil }
        }
        inbound.finish()
        pump?.cancel()
        await connection.close()
        finish(nil)
    }

    /// Ends the session as if the relay dropped the connection.
    func dropByPeer() async {
        finish(.closedByPeer(code: nil, reason: "relay removed"))
        pump?.cancel()
        await connection.close()
    }

    public func closeReason() async -> TransportError? { lock.withLock { reason } }

    private func finish(_ why: TransportError?) {
        let first: Bool = lock.withLock {
            if ended { return false }
            ended = true
            reason = closedByUs ? nil : why
            return true
        }
        if first { inbound.finish() }
    }
}
