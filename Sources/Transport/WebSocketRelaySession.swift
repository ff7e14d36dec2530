import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Nostr

/// A `RelaySession` over a WebSocket (ws or wss).
///
/// One task reads the socket, decodes each text message into a `RelayMessage` and feeds
/// `messages` through a bounded buffer: when the consumer falls behind, the reader waits,
/// so reading (and, through TCP flow control, the peer) slows down; nothing is dropped.
/// Frames that are not relay messages are skipped and counted (`undecodableMessages`).
public final class WebSocketRelaySession: RelaySession, @unchecked Sendable {
    public let url: RelayURL
    public let messages: RelayMessageStream
    private let inbound: RelayMessageStream.Continuation
    let configuration: WebSocketTransportConfiguration
    private let sslContext: NIOSSLContext?
    private let logger: Logger
    // Guarded by `lock`.
    let lock = NSLock()
    var writer: WebSocketOutboundWriter?
    /// Serialises outgoing messages (compression state is shared across them).
    private let sendGate = AsyncSerialGate()
    private var reason: TransportError?
    private var closedByUs = false
    private var ended = false
    private var openWaiter: CheckedContinuation<Void, any Error>?
    private var openResult: Result<Void, TransportError>?
    private var runTask: Task<Void, Never>?
    private var undecodable = 0
    private var extensions: [String] = []
    private var endWaiters: [CheckedContinuation<Void, Never>] = []
    private var dialled: [String] = []

    /// Inbound frames that were not valid relay messages (skipped).
    public var undecodableMessages: Int { lock.withLock { undecodable } }

    /// Every TCP target this session tried, in order (`address:port`, or `host:port` when the
    /// policy let the name through unchecked): shows which addresses were actually dialled.
    public var dialledTargets: [String] { lock.withLock { dialled } }

    /// The WebSocket extensions the server accepted (`["permessage-deflate"]` when
    /// compression was negotiated).
    public var negotiatedExtensions: [String] { lock.withLock { extensions } }

    init(url: RelayURL, configuration: WebSocketTransportConfiguration, sslContext: NIOSSLContext?, logger: Logger) {
        self.url = url
        self.configuration = configuration
        self.sslContext = sslContext
        var logger = logger
        logger[metadataKey: "relay"] = .string(url.description)
        self.logger = logger
        (messages, inbound) = RelayMessageStream.makeStream(
            maxMessages: configuration.inboundBufferMessages, maxBytes: configuration.inboundBufferBytes)
    }

    /// Connects (SSRF check, DNS, TCP, TLS, upgrade); returns once the WebSocket is open, or
    /// throws the classified failure. The whole attempt is bounded by the connect timeout.
    func open() async throws(TransportError) {
        let task = Task { await self.run() }
        lock.withLock { runTask = task }
        let timeout = configuration.connectTimeout
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.waitUntilOpen() }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1_000_000_000))
                    throw TransportError.timeout
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            let failure = (error as? TransportError) ?? (error is CancellationError ? .other("connect cancelled") : .other("\(error)"))
            finish(failure)
            task.cancel()
            throw failure
        }
    }

    private func waitUntilOpen() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ready: Result<Void, TransportError>? = lock.withLock {
                    if let r = openResult { return r }
                    if Task.isCancelled { return .failure(.other("connect cancelled")) }
                    openWaiter = c
                    return nil
                }
                if let ready { c.resume(with: ready.mapError { $0 as any Error }) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Void, any Error>? = lock.withLock {
                defer { openWaiter = nil }
                return openWaiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func signalOpen(_ result: Result<Void, TransportError>) {
        let waiter: CheckedContinuation<Void, any Error>? = lock.withLock {
            guard openResult == nil else { return nil }
            openResult = result
            defer { openWaiter = nil }
            return openWaiter
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
    }

    private func run() async {
        let connector = WebSocketConnector(url: url, configuration: configuration, sslContext: sslContext, logger: logger)
        let maxInbound = configuration.maxInboundMessageBytes
        do {
            let upgrade = try await connectAny(connector)
            let diagnostics = connector.diagnostics
            let pingInterval = configuration.pingInterval
            let closeFrame = try await connector.run(upgrade) { inbound, outbound, context in
                self.lock.withLock {
                    self.writer = outbound
                    self.extensions = context.extensions
                }
                diagnostics.noteActivity()
                self.signalOpen(.success(()))
                let keepalive = pingInterval.map { interval in
                    Task { await self.keepalive(outbound, every: interval, diagnostics: diagnostics) }
                }
                defer { keepalive?.cancel() }
                for try await message in inbound.messages(maxSize: maxInbound) {
                    guard case .text(let text) = message else {
                        self.countUndecodable("binary message")
                        continue
                    }
                    let decoded: RelayMessage
                    do {
                        decoded = try RelayMessage.decode(text)
                    } catch {
                        self.countUndecodable("\(error)")
                        continue
                    }
                    // Waits while the buffer is full; after our own close it refuses (and the
                    // rest is drained so the close handshake can complete).
                    await self.inbound.send(decoded, bytes: text.utf8.count)
                }
            }
            let byUs = lock.withLock { closedByUs }
            finish(byUs ? nil : Self.endReason(closeFrame: closeFrame, diagnostics: connector.diagnostics, maxInbound: maxInbound))
        } catch {
            finish(Self.classify(error, diagnostics: connector.diagnostics, maxInbound: maxInbound))
        }
    }

    /// Keepalive: a ping every `interval`; the peer counts as gone when no frame at all has
    /// arrived for two intervals. While the consumer holds reading back (the inbound buffer
    /// is full), the peer's answers wait unread in TCP buffers, so that time counts as
    /// activity: a slow consumer never makes the connection look dead.
    private func keepalive(_ outbound: WebSocketOutboundWriter, every interval: Double, diagnostics: WebSocketConnector.Diagnostics) async {
        let period = Duration.milliseconds(Int64(max(0.001, interval) * 1000))
        while !Task.isCancelled {
            do { try await Task.sleep(for: period) } catch { return }
            if messages.isProducerWaiting { diagnostics.noteActivity() }
            if ContinuousClock.now - diagnostics.lastActivity > period * 2 {
                logger.debug("no answer from the relay for \(interval * 2) s; closing")
                diagnostics.keepaliveTimeout()
                return
            }
            let payload = (0..<8).map { _ in UInt8.random(in: .min ... .max) }
            do {
                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(bytes: payload))))
            } catch {
                return
            }
        }
    }

    /// Checks the URL with the SSRF guard and dials the checked addresses in resolver order
    /// (the host name itself when the policy allowed it unchecked), until one accepts TCP.
    private func connectAny(_ connector: WebSocketConnector) async throws -> EventLoopFuture<WebSocketConnector.UpgradeResult> {
        let port = url.effectivePort
        let targets: [WebSocketConnector.Target]
        if let addresses = try await configuration.addressPolicy.vet(url) {
            targets = addresses.map { .address($0, port: port) }
        } else {
            targets = [.hostName(url.host, port: port)]
        }
        var lastError: (any Error)?
        for target in targets {
            try Task.checkCancellation()
            lock.withLock { dialled.append(target.description) }
            do {
                return try await connector.connect(target)
            } catch {
                // Only TCP-level failures move on to the next address.
                guard Self.isTCPConnectFailure(error) else { throw error }
                logger.debug("connecting to \(target) failed: \(error)")
                lastError = error
            }
        }
        throw lastError ?? TransportError.dnsFailure("no addresses for \(url.host)")
    }

    private func countUndecodable(_ why: String) {
        lock.withLock { undecodable += 1 }
        logger.debug("skipped an inbound frame that is not a relay message: \(why)")
    }

    /// Records how the connection ended (first reason wins) and ends the inbound stream.
    private func finish(_ why: TransportError?) {
        let waiters: [CheckedContinuation<Void, Never>]? = lock.withLock {
            if ended { return nil }
            ended = true
            reason = closedByUs ? nil : why
            writer = nil
            defer { endWaiters.removeAll() }
            return endWaiters
        }
        guard let waiters else { return }
        signalOpen(.failure(why ?? .notConnected))
        inbound.finish()
        for w in waiters { w.resume() }
    }

    public func send(_ message: ClientMessage) async throws(TransportError) {
        try await sendText(message.jsonText)
    }

    private func sendText(_ text: String) async throws(TransportError) {
        guard text.utf8.count <= configuration.maxOutboundMessageBytes else {
            throw .messageTooLarge(limit: configuration.maxOutboundMessageBytes)
        }
        guard let writer = lock.withLock({ writer }) else { throw .notConnected }
        // Compress-and-write of one message at a time, in send order (see AsyncSerialGate).
        await sendGate.acquire()
        do {
            try await writer.write(.text(text))
        } catch {
            await sendGate.release()
            throw .notConnected
        }
        await sendGate.release()
    }

    /// Closes cleanly: sends a close frame, waits up to the close timeout for the peer's
    /// answer, then drops the connection. `messages` ends at once (buffered messages are
    /// discarded: the consumer asked to stop).
    public func close() async {
        let (writer, task): (WebSocketOutboundWriter?, Task<Void, Never>?) = lock.withLock {
            closedByUs = true
            if !ended { reason = nil }
            return (self.writer, runTask)
        }
        inbound.finish()
        if let writer { try? await writer.close(.normalClosure, reason: nil) }
        guard let task else { return }
        // Bounded wait for the close handshake; after it, cancelling closes the channel.
        let deadline = configuration.closeTimeout
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitUntilEnded(); return true }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(0, deadline) * 1_000_000_000))
                return false
            }
            if await group.next() == false { task.cancel() }
            group.cancelAll()
        }
        await task.value
    }

    private func waitUntilEnded() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let done: Bool = lock.withLock {
                    if ended || Task.isCancelled { return true }
                    endWaiters.append(c)
                    return false
                }
                if done { c.resume() }
            }
        } onCancel: {
            let waiters: [CheckedContinuation<Void, Never>] = lock.withLock {
                defer { endWaiters.removeAll() }
                return endWaiters
            }
            for w in waiters { w.resume() }
        }
    }

    public func closeReason() async -> TransportError? { lock.withLock { reason } }

    static func code(_ code: WebSocketErrorCode) -> Int {
        Int(UInt16(webSocketErrorCode: code))
    }

    /// Why a connection that ended without an error ended: a frame decoding error or a
    /// protocol error our side closed for, our keepalive giving up, or else the peer's close
    /// (code and reason of its close frame; none when it just dropped the connection).
    static func endReason(closeFrame: WebSocketCloseFrame?, diagnostics: WebSocketConnector.Diagnostics, maxInbound: Int) -> TransportError {
        if diagnostics.keepaliveTimedOut { return .timeout }
        if let decoding = diagnostics.frameDecodingError { return classify(decoding, maxInbound: maxInbound) }
        if let ours = reasonFromOurClose(diagnostics, maxInbound: maxInbound) { return ours }
        return .closedByPeer(code: closeFrame.map { code($0.closeCode) }, reason: closeFrame?.reason)
    }

    /// The failure our side's first close frame stands for, if it was not a normal close.
    static func reasonFromOurClose(_ diagnostics: WebSocketConnector.Diagnostics, maxInbound: Int) -> TransportError? {
        guard let sent = diagnostics.firstSentClose else { return nil }
        switch sent.code {
        case .messageTooLarge?: return .messageTooLarge(limit: maxInbound)
        case .protocolError?, .dataInconsistentWithMessage?, .unacceptableData?:
            return .protocolViolation("invalid frame or message from the relay (closed with \(code(sent.code!)))")
        default: return nil
        }
    }

    /// `classify`, preferring what the connection's diagnostics know about the cause.
    static func classify(_ error: any Error, diagnostics: WebSocketConnector.Diagnostics, maxInbound: Int) -> TransportError {
        if diagnostics.keepaliveTimedOut { return .timeout }
        if let decoding = diagnostics.frameDecodingError { return classify(decoding, maxInbound: maxInbound) }
        let classified = classify(error, maxInbound: maxInbound)
        switch classified {
        case .closedByPeer, .other:
            return reasonFromOurClose(diagnostics, maxInbound: maxInbound) ?? classified
        default:
            return classified
        }
    }

    static func isTCPConnectFailure(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let ch = error as? ChannelError, case .connectTimeout = ch { return true }
        if let io = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, ETIMEDOUT].contains(io.errnoCode)
        }
        return false
    }

    /// Maps NIO, TLS and WebSocket errors onto `TransportError`.
    static func classify(_ error: any Error, maxInbound: Int) -> TransportError {
        if let t = error as? TransportError { return t }
        if error is CancellationError { return .other("cancelled") }
        if let c = error as? NIOConnectionError {
            if c.connectionErrors.isEmpty, c.dnsAError != nil || c.dnsAAAAError != nil { return .dnsFailure("cannot resolve \(c.host)") }
            if !c.connectionErrors.isEmpty, c.connectionErrors.allSatisfy({ isConnectTimeout($0.error) }) { return .timeout }
            return .connectionRefused("\(c.host):\(c.port): \(c)")
        }
        if let ch = error as? ChannelError {
            switch ch {
            case .connectTimeout: return .timeout
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                return .closedByPeer(code: nil, reason: "connection lost")
            default: return .other("\(error)")
            }
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED, ENETUNREACH, EHOSTUNREACH: return .connectionRefused("\(io)")
            case ECONNRESET, EPIPE, ECONNABORTED: return .closedByPeer(code: nil, reason: "connection reset")
            case ETIMEDOUT: return .timeout
            default: return .other("\(io)")
            }
        }
        if let ssl = error as? NIOSSLError {
            // A peer that drops TCP mid-stream without TLS close_notify closed the connection;
            // it is not a certificate problem.
            if case .uncleanShutdown = ssl { return .closedByPeer(code: nil, reason: "connection lost (unclean TLS shutdown)") }
            return .tls("\(error)")
        }
        if error is BoringSSLError || error is NIOSSLExtraError { return .tls("\(error)") }
        if let ws = error as? WebSocketClientError {
            switch ws {
            case .webSocketUpgradeFailed: return .handshakeFailed("server did not upgrade to WebSocket")
            case .serverSentMessageTooLarge: return .messageTooLarge(limit: maxInbound)
            case .invalidURL: return .invalidURL("\(error)")
            default: return .protocolViolation("\(error)")
            }
        }
        if error is NIOWebSocketUpgradeError || error is NIOHTTPClientUpgradeError || error is HTTPParserError {
            return .handshakeFailed("\(error)")
        }
        if let ws = error as? NIOWebSocketError {
            if case .invalidFrameLength = ws { return .messageTooLarge(limit: maxInbound) }
            return .protocolViolation("\(error)")
        }
        let text = "\(error)"
        let lower = String(reflecting: error).lowercased()
        // swift-websocket's internal close error carries the close code it sent.
        if lower.contains("messagetoolarge") { return .messageTooLarge(limit: maxInbound) }
        if lower.contains("internalerror.close") || lower.contains("protocolerror") { return .protocolViolation(text) }
        if lower.contains("refused") { return .connectionRefused(text) }
        if lower.contains("certificate") || lower.contains("ssl") || lower.contains("tls") { return .tls(text) }
        return .other(text)
    }

    private static func isConnectTimeout(_ error: any Error) -> Bool {
        if let ch = error as? ChannelError, case .connectTimeout = ch { return true }
        return false
    }
}

extension WebSocketRelaySession {
    /// Sends raw text as one WebSocket text message (tests and diagnostics; bypasses encoding
    /// but not the outbound size limit).
    public func sendRaw(_ text: String) async throws(TransportError) {
        try await sendText(text)
    }
}
