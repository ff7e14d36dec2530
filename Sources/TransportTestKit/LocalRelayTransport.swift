import Foundation
import Nostr
import Relay
import Transport

/// A `RelayTransport` that connects to in-process `NostrRelay`s by URL, without sockets:
/// the same protocol code on both ends, so scenario tests and benchmarks run the whole sync
/// engine against a real relay implementation in memory.
public final class LocalRelayTransport: RelayTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var relays: [RelayURL: NostrRelay] = [:]
    private var refusals: [RelayURL: TransportError] = [:]
    private let traffic = RelayTrafficTally()

    public init() {}

    /// Bytes of JSON text sent to the relays, over every session so far.
    public var bytesSent: Int { traffic.sent }
    /// Bytes of JSON text received from the relays, over every session so far.
    public var bytesReceived: Int { traffic.received }

    /// Makes `relay` reachable at `url`.
    public func register(_ relay: NostrRelay, at url: RelayURL) {
        lock.withLock {
            relays[url] = relay
            refusals[url] = nil
        }
    }

    /// Makes connections to `url` fail with `error` (nil clears it).
    public func refuse(_ url: RelayURL, with error: TransportError?) {
        lock.withLock { refusals[url] = error }
    }

    public func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        let (relay, refusal) = lock.withLock { (relays[url], refusals[url]) }
        if let refusal { throw refusal }
        guard let relay else { throw .connectionRefused("no local relay at \(url)") }
        return LocalRelaySession(url: url, connection: LocalRelayConnection(relay: relay), traffic: traffic)
    }
}

/// A `RelaySession` over a `LocalRelayConnection`.
public final class LocalRelaySession: RelaySession, @unchecked Sendable {
    public let url: RelayURL
    public let messages: RelayMessageStream
    private let connection: LocalRelayConnection
    private let continuation: RelayMessageStream.Continuation
    private let lock = NSLock()
    private var closed = false
    private var closedByUs = false
    private var pump: Task<Void, Never>?
    private let traffic: RelayTrafficTally

    init(url: RelayURL, connection: LocalRelayConnection, traffic: RelayTrafficTally) {
        self.url = url
        self.connection = connection
        self.traffic = traffic
        let (stream, continuation) = RelayMessageStream.makeStream()
        self.messages = stream
        self.continuation = continuation
        pump = Task { [weak self] in
            for await text in connection.fromRelay {
                traffic.add(received: text.utf8.count)
                if let message = try? RelayMessage.decode(text) { await continuation.send(message, bytes: text.utf8.count) }
            }
            self?.markClosed()
            continuation.finish()
        }
    }

    private func markClosed() { lock.withLock { closed = true } }

    public func send(_ message: ClientMessage) async throws(TransportError) {
        guard !lock.withLock({ closed }) else { throw .notConnected }
        let text = message.jsonText
        traffic.add(sent: text.utf8.count)
        connection.send(text)
    }

    public func close() async {
        lock.withLock { closedByUs = true }
        await connection.close()
        await pump?.value
    }

    /// Ends the connection as if the peer went away (tests of unexpected disconnects).
    public func dropFromPeerSide() async {
        await connection.close()
        await pump?.value
    }

    public func closeReason() async -> TransportError? {
        lock.withLock { closedByUs ? nil : .closedByPeer(code: nil, reason: nil) }
    }
}
