import AsyncAlgorithms
import Foundation
import HummingbirdWSClient
import HummingbirdWSCompression
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import Nostr

/// A `RelaySession` over a WebSocket (ws or wss) using HummingbirdWSClient.
public final class WebSocketRelaySession: RelaySession, @unchecked Sendable {
    public let url: RelayURL
    public let messages: RelayMessageStream
    private let channel = AsyncChannel<RelayMessage>()
    let configuration: WebSocketTransportConfiguration
    private let logger: Logger
    // Guarded by `lock`.
    let lock = NSLock()
    var writer: WebSocketOutboundWriter?
    private var reason: TransportError?
    private var closedByUs = false
    private var ended = false
    private var openWaiter: CheckedContinuation<Void, any Error>?
    private var openResult: Result<Void, TransportError>?
    private var runTask: Task<Void, Never>?
    /// Inbound frames that were not valid relay messages (skipped, counted).
    public private(set) var undecodableMessages = 0

    init(url: RelayURL, configuration: WebSocketTransportConfiguration, logger: Logger) {
        self.url = url
        self.configuration = configuration
        self.logger = logger
        self.messages = RelayMessageStream(channel: channel)
    }

    /// Connects; returns once the WebSocket is open, or throws the classified failure.
    func open() async throws(TransportError) {
        runTask = Task { await self.run() }
        let timeout = configuration.connectTimeout
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.waitUntilOpen() }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                    throw TransportError.timeout
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as TransportError {
            runTask?.cancel()
            finish(error)
            throw error
        } catch {
            runTask?.cancel()
            finish(.other("\(error)"))
            throw .other("\(error)")
        }
    }

    private func waitUntilOpen() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let ready: Result<Void, TransportError>? = lock.withLock {
                if let r = openResult { return r }
                openWaiter = c
                return nil
            }
            if let ready { c.resume(with: ready.mapError { $0 as any Error }) }
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
        var config = WebSocketClientConfiguration(
            maxFrameSize: configuration.maxInboundMessageBytes,
            extensions: configuration.compression ? [.perMessageDeflate(maxDecompressedFrameSize: configuration.maxInboundMessageBytes)] : [],
            autoPing: configuration.pingInterval.map { .enabled(timePeriod: .milliseconds(Int64($0 * 1000))) } ?? .disabled)
        // NIOSSL refuses IP literals as SNI (RFC 6066 forbids them too); name hosts keep SNI.
        if url.isSecure, AddressPolicy.parseIPv4(url.host) != nil || AddressPolicy.parseIPv6(url.host) != nil {
            config.sniHostname = nil
        }
        let maxInbound = configuration.maxInboundMessageBytes
        do {
            let closeFrame = try await WebSocketClient.connect(
                url: url.description, configuration: config,
                tlsConfiguration: url.isSecure ? configuration.tlsConfiguration : nil,
                logger: logger
            ) { inbound, outbound, _ in
                self.lock.withLock { self.writer = outbound }
                self.signalOpen(.success(()))
                for try await message in inbound.messages(maxSize: maxInbound) {
                    guard case .text(let text) = message else { continue }
                    do {
                        await self.channel.send(try RelayMessage.decode(text))
                    } catch {
                        self.lock.withLock { self.undecodableMessages += 1 }
                        self.logger.debug("undecodable message from \(self.url): \(error)")
                    }
                }
            }
            let byUs = lock.withLock { closedByUs }
            finish(byUs ? nil : .closedByPeer(code: closeFrame.map { Self.code($0.closeCode) }, reason: closeFrame?.reason))
        } catch {
            finish(Self.classify(error, maxInbound: maxInbound))
        }
    }

    /// Records how the connection ended (first reason wins) and ends the inbound stream.
    private func finish(_ why: TransportError?) {
        let first: Bool = lock.withLock {
            if ended { return false }
            ended = true
            reason = closedByUs ? nil : why
            writer = nil
            return true
        }
        guard first else { return }
        signalOpen(.failure(why ?? .notConnected))
        channel.finish()
    }

    public func send(_ message: ClientMessage) async throws(TransportError) {
        let text = message.jsonText
        guard text.utf8.count <= configuration.maxOutboundMessageBytes else {
            throw .messageTooLarge(limit: configuration.maxOutboundMessageBytes)
        }
        guard let writer = lock.withLock({ writer }) else { throw .notConnected }
        do { try await writer.write(.text(text)) } catch { throw .notConnected }
    }

    public func close() async {
        let writer: WebSocketOutboundWriter? = lock.withLock {
            closedByUs = true
            return self.writer
        }
        if let writer { try? await writer.close(.normalClosure, reason: nil) }
        await runTask?.value
    }

    public func closeReason() async -> TransportError? { lock.withLock { reason } }

    static func code(_ code: WebSocketErrorCode) -> Int {
        Int(UInt16(webSocketErrorCode: code))
    }

    /// Maps NIO, TLS and WebSocket client errors onto `TransportError`.
    static func classify(_ error: any Error, maxInbound: Int) -> TransportError {
        if let t = error as? TransportError { return t }
        if let c = error as? NIOConnectionError {
            if c.connectionErrors.isEmpty, c.dnsAError != nil || c.dnsAAAAError != nil { return .dnsFailure("cannot resolve \(c.host)") }
            return .connectionRefused("\(c.host):\(c.port)")
        }
        if error is NIOSSLError || error is BoringSSLError { return .tls("\(error)") }
        if let ws = error as? WebSocketClientError {
            switch ws {
            case .webSocketUpgradeFailed: return .handshakeFailed("server did not upgrade to WebSocket")
            case .serverSentMessageTooLarge: return .messageTooLarge(limit: maxInbound)
            case .invalidURL: return .invalidURL("\(error)")
            default: return .protocolViolation("\(error)")
            }
        }
        if let ch = error as? ChannelError, case .connectTimeout = ch { return .timeout }
        let text = "\(error)"
        let lower = text.lowercased()
        if lower.contains("refused") || lower.contains("econnrefused") { return .connectionRefused(text) }
        if lower.contains("certificate") || lower.contains("ssl") || lower.contains("tls") { return .tls(text) }
        if lower.contains("messagetoolarge") { return .messageTooLarge(limit: maxInbound) }
        return .other(text)
    }
}

extension WebSocketRelaySession {
    /// Sends raw text as one WebSocket text message (tests and diagnostics; bypasses encoding
    /// but not the outbound size limit).
    public func sendRaw(_ text: String) async throws(TransportError) {
        guard text.utf8.count <= configuration.maxOutboundMessageBytes else {
            throw .messageTooLarge(limit: configuration.maxOutboundMessageBytes)
        }
        guard let writer = lock.withLock({ writer }) else { throw .notConnected }
        do { try await writer.write(.text(text)) } catch { throw .notConnected }
    }
}
