import Foundation
import HTTPTypes
import HummingbirdWSClient
import HummingbirdWSCompression
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Nostr
@_spi(WSInternal) import WSCore

/// Opens one client WebSocket: TCP to a given address (or host name), optional TLS, the
/// HTTP/1.1 upgrade, then runs swift-websocket's frame handler (pings, close handshake,
/// permessage-deflate) with a data handler.
///
/// `WebSocketClient` from swift-websocket cannot be used directly for two reasons:
/// - it always sends SNI `sniHostname ?? host`, and NIOSSL refuses an IP literal as SNI
///   (`cannotUseIPAddressInSNI`), so `wss://127.0.0.1` could not connect at all; here an IP
///   literal gets no SNI (RFC 6066) and NIOSSL verifies it against the certificate's IP
///   subject alternative names;
/// - it resolves the host itself, while the SSRF guard must dial exactly the addresses it
///   checked (no second DNS lookup that a rebinding DNS server could answer differently).
///
/// The frame handling is swift-websocket's own `WebSocketHandler` (its `WSInternal` SPI);
/// the pipeline setup mirrors its `WebSocketClientChannel.setupWSUpgrade`.
struct WebSocketConnector: Sendable {
    /// Where the TCP connection goes.
    enum Target: Sendable, CustomStringConvertible {
        /// A host name NIO resolves (only when the address policy allowed the URL unchecked).
        case hostName(String, port: Int)
        /// One address checked by the SSRF guard.
        case address(AddressPolicy.ResolvedAddress, port: Int)

        var description: String {
            switch self {
            case .hostName(let h, let p): return "\(h):\(p)"
            case .address(let a, let p): return a.bytes.count == 16 ? "[\(a)]:\(p)" : "\(a):\(p)"
            }
        }
    }

    enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, [any WebSocketExtension])
        case notUpgraded
    }

    struct Context: WebSocketContext {
        let logger: Logger
        /// Names of the negotiated extensions (`permessage-deflate` when compression is on).
        let extensions: [String]
    }

    typealias Handler = @Sendable (WebSocketInboundStream, WebSocketOutboundWriter, Context) async throws -> Void

    let url: RelayURL
    let configuration: WebSocketTransportConfiguration
    let sslContext: NIOSSLContext?
    let logger: Logger
    /// What the connection saw that swift-websocket does not report (see `Diagnostics`).
    let diagnostics = Diagnostics()

    private var frameConfiguration: WebSocketClientConfiguration {
        WebSocketClientConfiguration(
            maxFrameSize: configuration.maxInboundMessageBytes,
            extensions: configuration.compression
                ? [.perMessageDeflate(maxDecompressedFrameSize: configuration.maxInboundMessageBytes)] : [],
            closeTimeout: .milliseconds(Int64(configuration.closeTimeout * 1000)),
            // Keepalive is ours (`WebSocketRelaySession.keepalive`): swift-websocket's would
            // time out while a slow consumer holds reading back, a fake disconnect.
            autoPing: .disabled)
    }

    /// TCP connect and pipeline setup; the returned future completes once the upgrade
    /// finished (or was declined).
    func connect(_ target: Target) async throws -> EventLoopFuture<UpgradeResult> {
        // No remote half-closure: a peer that closes its side (for example before answering
        // the upgrade) ends the connection at once instead of leaving the upgrade waiting
        // for the connect timeout.
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(Int64(configuration.connectTimeout * 1000)))
        let setup: @Sendable (any Channel) -> EventLoopFuture<EventLoopFuture<UpgradeResult>> = { channel in
            channel.eventLoop.makeCompletedFuture { try self.setUpPipeline(channel) }
        }
        switch target {
        case .hostName(let host, let port):
            return try await bootstrap.connect(host: host, port: port, channelInitializer: setup)
        case .address(let address, let port):
            return try await bootstrap.connect(to: try address.socketAddress(port: port), channelInitializer: setup)
        }
    }

    /// Waits for the upgrade and runs `handler` until the connection closes; returns the
    /// peer's close frame, if any.
    func run(_ upgrade: EventLoopFuture<UpgradeResult>, handler: @escaping Handler) async throws -> WebSocketCloseFrame? {
        let result: UpgradeResult
        do {
            result = try await upgrade.get()
        } catch let error as ChannelError {
            switch error {
            case .inappropriateOperationForState, .ioOnClosedChannel, .eof, .alreadyClosed, .inputClosed:
                // NIO's upgrade handler fails this way when the connection closes mid-handshake.
                throw TransportError.closedByPeer(code: nil, reason: "connection closed before the WebSocket handshake completed")
            default:
                throw error
            }
        }
        switch result {
        case .websocket(let channel, let extensions):
            let frames = frameConfiguration
            return try await WebSocketHandler.handle(
                type: .client,
                configuration: .init(
                    // The observer only watches outgoing frames; it is not negotiated.
                    extensions: extensions + [CloseObserver(diagnostics: diagnostics)],
                    autoPing: frames.autoPing,
                    closeTimeout: frames.closeTimeout,
                    validateUTF8: false,
                    // A peer that drops TCP without TLS close_notify after a completed
                    // WebSocket close handshake is not an error.
                    ignoreUncleanSSLShutdownErrors: true,
                    maxFrameSize: frames.maxFrameSize),
                asyncChannel: channel,
                context: Context(logger: logger, extensions: extensions.map(\.name)),
                handler: handler)
        case .notUpgraded:
            throw TransportError.handshakeFailed("server answered without upgrading to WebSocket")
        }
    }

    /// The `Host` header value (IPv6 literals in brackets, explicit port kept).
    var hostHeader: String {
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        return url.port.map { "\(host):\($0)" } ?? host
    }

    /// Whether the URL's host is an IP literal (no SNI then).
    var hostIsIPLiteral: Bool {
        AddressPolicy.parseIPv4(url.host) != nil || AddressPolicy.parseIPv6(url.host) != nil
    }

    private func setUpPipeline(_ channel: any Channel) throws -> EventLoopFuture<UpgradeResult> {
        let frames = frameConfiguration
        let logger = self.logger
        let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(
            maxFrameSize: frames.maxFrameSize,
            upgradePipelineHandler: { [diagnostics] channel, head in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboundObserver(diagnostics: diagnostics))
                    diagnostics.attach(channel)
                    let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                    var fields = HTTPFields()
                    for header in head.headers {
                        if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
                    }
                    let extensions = try frames.extensions.buildClientExtensions(from: fields)
                    if !extensions.isEmpty {
                        logger.debug("enabled WebSocket extensions", metadata: ["extensions": .string(extensions.map(\.name).joined(separator: ","))])
                    }
                    return UpgradeResult.websocket(asyncChannel, extensions)
                }
            })

        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: "Host", value: hostHeader)
        headers.replaceOrAdd(name: "Origin", value: "\(url.isSecure ? "https" : "http")://\(hostHeader)")
        if let agent = configuration.userAgent { headers.replaceOrAdd(name: "User-Agent", value: agent) }
        for builder in frames.extensions {
            let value = builder.clientRequestHeader()
            if !value.isEmpty { headers.add(name: "Sec-WebSocket-Extensions", value: value) }
        }
        let path = url.pathAndQuery.isEmpty ? "/" : (url.pathAndQuery.hasPrefix("?") ? "/" + url.pathAndQuery : url.pathAndQuery)
        let requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)

        let upgradeConfiguration = NIOTypedHTTPClientUpgradeConfiguration(
            upgradeRequestHead: requestHead,
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture { UpgradeResult.notUpgraded }
            })
        var pipelineConfiguration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgradeConfiguration)
        pipelineConfiguration.leftOverBytesStrategy = .forwardBytes
        if let sslContext {
            // No SNI for IP literals; NIOSSL then checks the peer's IP against IP SANs.
            let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: hostIsIPLiteral ? nil : url.host)
            try channel.pipeline.syncOperations.addHandler(tls, position: .first)
        }
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipelineConfiguration)
    }
}

extension WebSocketConnector {
    /// Facts about a connection that swift-websocket does not surface: a frame decoding
    /// error (NIO closes the connection itself, and the handler then just sees the stream
    /// end), the first close frame we sent (protocol errors it detected are reported only as
    /// the close frame it sends), when a frame last arrived (keepalive), and whether our
    /// keepalive gave up on the peer.
    final class Diagnostics: @unchecked Sendable {
        private let lock = NSLock()
        private var decodeError: NIOWebSocketError?
        private var sentClose: (code: WebSocketErrorCode?, reason: String?)?
        private var activity = ContinuousClock.now
        private var keepaliveGaveUp = false
        private var channel: (any Channel)?

        var frameDecodingError: NIOWebSocketError? { lock.withLock { decodeError } }
        var firstSentClose: (code: WebSocketErrorCode?, reason: String?)? { lock.withLock { sentClose } }
        /// When the peer last showed it is alive (a frame arrived), or we last found the
        /// consumer holding reading back (so the peer's answers wait unread in TCP buffers).
        var lastActivity: ContinuousClock.Instant { lock.withLock { activity } }
        var keepaliveTimedOut: Bool { lock.withLock { keepaliveGaveUp } }

        func recordDecodingError(_ error: NIOWebSocketError) {
            lock.withLock { if decodeError == nil { decodeError = error } }
        }

        func recordSentClose(code: WebSocketErrorCode?, reason: String?) {
            lock.withLock { if sentClose == nil { sentClose = (code, reason) } }
        }

        func noteActivity() {
            let now = ContinuousClock.now
            lock.withLock { activity = now }
        }

        func attach(_ channel: any Channel) {
            lock.withLock { self.channel = channel }
        }

        /// Gives up on a silent peer: records the timeout and closes the socket.
        func keepaliveTimeout() {
            let channel: (any Channel)? = lock.withLock {
                keepaliveGaveUp = true
                return self.channel
            }
            channel?.close(promise: nil)
        }
    }

    /// Sees every decoded frame on its way to the async channel (before any buffering):
    /// notes activity for the keepalive and records frame decoding errors.
    final class InboundObserver: ChannelInboundHandler, Sendable {
        typealias InboundIn = WebSocketFrame
        typealias InboundOut = WebSocketFrame
        let diagnostics: Diagnostics

        init(diagnostics: Diagnostics) {
            self.diagnostics = diagnostics
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            diagnostics.noteActivity()
            context.fireChannelRead(data)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if let error = error as? NIOWebSocketError { diagnostics.recordDecodingError(error) }
            context.fireErrorCaught(error)
        }
    }

    /// A pseudo-extension (never negotiated, no reserved bits) that sees every frame we
    /// send and records the first close frame.
    struct CloseObserver: WebSocketExtension {
        let diagnostics: Diagnostics
        var name: String { "grasp-sync-close-observer" }

        func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
            frame
        }

        func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
            if frame.opcode == .connectionClose {
                var data = frame.data
                let code = data.readWebSocketErrorCode()
                let reason = data.readableBytes > 0 ? data.readString(length: data.readableBytes) : nil
                diagnostics.recordSentClose(code: code, reason: reason)
            }
            return frame
        }

        func shutdown() async {}
    }
}
