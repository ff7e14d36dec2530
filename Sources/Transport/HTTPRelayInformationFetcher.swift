import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Nostr

/// The production `RelayInformationFetching`: one HTTP/1.1 GET for the relay's NIP-11
/// document, on the relay URL with `ws` → `http` and `wss` → `https` (same host, port and
/// path) and `Accept: application/nostr+json`.
///
/// Relay URLs come from untrusted announcements, so the request is as guarded as a
/// WebSocket dial:
/// - the host passes `addressPolicy` first, and the TCP connection goes to exactly the
///   addresses it checked (no second DNS lookup a rebinding DNS server could answer
///   differently); the URL's host still goes in `Host`, SNI and the certificate check;
/// - the whole request (DNS, TCP, TLS, answer) is bounded by `timeout`;
/// - the body may hold at most ``maxBodyBytes`` (larger: `.messageTooLarge`, connection
///   closed at once), and all bytes received, headers and chunk framing included, at most
///   twice that;
/// - redirects are not followed, and any status but 200 fails with
///   `.relayInformationUnavailable(status:reason:)`.
public struct HTTPRelayInformationFetcher: RelayInformationFetching {
    /// The largest NIP-11 body accepted: 64 KiB (real documents are a few KiB).
    public static let maxBodyBytes = 64 * 1024

    /// Which addresses may be dialled: pass the node's policy (the WebSocket transport's
    /// `configuration.addressPolicy`).
    public let addressPolicy: AddressPolicy
    /// Bound on the whole request, in seconds.
    public let timeout: Double
    /// The `User-Agent` header.
    public let userAgent: String
    /// Per-host dial limit, when this fetcher should count against the WebSocket
    /// transport's (share its `dialThrottle`); nil dials without limit.
    public let dialThrottle: HostDialThrottle?
    private let tls: TLSContextCache
    private let logger: Logger

    /// - Parameters:
    ///   - addressPolicy: the SSRF guard; the default refuses every non-public address.
    ///   - timeout: seconds the whole request may take (clamped to 0...86,400).
    ///   - tlsConfiguration: TLS settings for https (default: system trust roots, full
    ///     verification; SNI is the URL's host name, left out for IP literals).
    ///   - userAgent: the `User-Agent` header.
    ///   - dialThrottle: a per-host dial limit to count against, if any.
    public init(addressPolicy: AddressPolicy = AddressPolicy(), timeout: Double = 10,
                tlsConfiguration: TLSConfiguration = .makeClientConfiguration(), userAgent: String = "grasp-sync",
                dialThrottle: HostDialThrottle? = nil, logger: Logger = Logger(label: "grasp-sync.transport")) {
        self.addressPolicy = addressPolicy
        // A NaN or huge timeout would trap when converted to nanoseconds.
        self.timeout = timeout.isNaN ? 0 : min(max(timeout, 0), 86_400)
        self.userAgent = userAgent
        self.dialThrottle = dialThrottle
        self.tls = TLSContextCache(configuration: tlsConfiguration)
        self.logger = logger
    }

    public func information(for relay: RelayURL) async throws(TransportError) -> RemoteRelayInformation {
        let request = try InformationRequest(relay: relay, userAgent: userAgent)
        try dialThrottle?.admit(relay.host)
        let sslContext = relay.isSecure ? try tls.context() : nil
        let outcome = FetchOutcome()
        let timeout = self.timeout
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout * 1_000_000_000))
        // The work runs unstructured because DNS resolution cannot be cancelled: the
        // timer settles the outcome (and closes any connection) without waiting for it.
        let work = Task { await self.run(request, sslContext: sslContext, deadline: deadline, outcome: outcome) }
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
            if !Task.isCancelled { outcome.settle(.failure(.timeout)) }
        }
        let result = await withTaskCancellationHandler {
            await outcome.value()
        } onCancel: {
            outcome.settle(.failure(.other("relay information request cancelled")))
        }
        timer.cancel()
        work.cancel()
        return try RemoteRelayInformation.parse(result.get())
    }

    /// Vets the host and connects to the vetted addresses in resolver order (the host name
    /// itself when the policy allows it unchecked) until one accepts TCP; the pipeline then
    /// sends the request and settles `outcome` with the answer.
    private func run(_ request: InformationRequest, sslContext: NIOSSLContext?, deadline: NIODeadline,
                     outcome: FetchOutcome) async {
        let url = request.url
        do {
            let port = url.effectivePort
            let targets: [WebSocketConnector.Target]
            if let addresses = try await addressPolicy.vet(url) {
                targets = addresses.map { .address($0, port: port) }
            } else {
                targets = [.hostName(url.host, port: port)]
            }
            var lastError: (any Error)?
            for target in targets {
                try Task.checkCancellation()
                let remaining = deadline - .now()
                guard remaining > .zero else { throw TransportError.timeout }
                do {
                    let channel = try await connect(target, request: request, sslContext: sslContext,
                                                    connectTimeout: remaining, outcome: outcome)
                    outcome.attach(channel)
                    return
                } catch {
                    // Only TCP-level failures move on to the next address.
                    guard WebSocketRelaySession.isTCPConnectFailure(error) else { throw error }
                    logger.debug("relay information: connecting to \(target) failed: \(error)")
                    lastError = error
                }
            }
            throw lastError ?? TransportError.dnsFailure("no addresses for \(url.host)")
        } catch {
            outcome.settle(.failure(Self.classify(error)))
        }
    }

    private func connect(_ target: WebSocketConnector.Target, request: InformationRequest, sslContext: NIOSSLContext?,
                         connectTimeout: TimeAmount, outcome: FetchOutcome) async throws -> any Channel {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.setUpPipeline(channel, request: request, sslContext: sslContext, outcome: outcome)
                }
            }
        switch target {
        case .hostName(let host, let port):
            return try await bootstrap.connect(host: host, port: port).get()
        case .address(let address, let port):
            return try await bootstrap.connect(to: try address.socketAddress(port: port)).get()
        }
    }

    private static func setUpPipeline(_ channel: any Channel, request: InformationRequest, sslContext: NIOSSLContext?,
                                      outcome: FetchOutcome) throws {
        let pipeline = channel.pipeline.syncOperations
        if let sslContext {
            // No SNI for IP literals (RFC 6066); NIOSSL then checks the IP against IP SANs.
            try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: request.sniHostName))
        }
        // Header and chunk-framing bytes are not body bytes, so the body limit alone would
        // let a hostile server stream framing until the timeout.
        try pipeline.addHandler(InboundByteLimit(limit: 2 * maxBodyBytes, reportedLimit: maxBodyBytes, outcome: outcome))
        try pipeline.addHandler(HTTPRequestEncoder())
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 16 * 1024
        limits.maxHeaderListSize = 32 * 1024
        limits.maxHeaderFieldCount = 256
        try pipeline.addHandler(ByteToMessageHandler(HTTPResponseDecoder(
            leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: limits)))
        try pipeline.addHandler(ResponseCollector(request: request.head, maxBodyBytes: maxBodyBytes, outcome: outcome))
    }

    /// Maps NIO, TLS and HTTP parsing errors onto `TransportError`.
    static func classify(_ error: any Error) -> TransportError {
        if error is HTTPParserError {
            return .relayInformationUnavailable(status: nil, reason: "malformed HTTP answer (\(error))")
        }
        return WebSocketRelaySession.classify(error, maxInbound: maxBodyBytes)
    }
}

extension HTTPRelayInformationFetcher {
    /// The GET request for one relay URL, checked before anything is dialled.
    struct InformationRequest: Sendable {
        let url: RelayURL
        let head: HTTPRequestHead
        /// The TLS server name: the URL's host, nil for IP literals.
        let sniHostName: String?

        init(relay: RelayURL, userAgent: String) throws(TransportError) {
            // RelayURL keeps the path as written; a space or control character would break
            // the request line (or smuggle a header into it).
            let unsafe: (Unicode.Scalar) -> Bool = { $0.value <= 0x20 || $0.value == 0x7f }
            guard !relay.host.unicodeScalars.contains(where: unsafe),
                  !relay.pathAndQuery.unicodeScalars.contains(where: unsafe) else {
                throw .invalidURL("\(relay.description.debugDescription): space or control character in host or path")
            }
            let isIPLiteral = AddressPolicy.parseIPv4(relay.host) != nil || AddressPolicy.parseIPv6(relay.host) != nil
            let host = relay.host.contains(":") ? "[\(relay.host)]" : relay.host
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: relay.port.map { "\(host):\($0)" } ?? host)
            headers.add(name: "Accept", value: "application/nostr+json")
            headers.add(name: "User-Agent", value: userAgent)
            headers.add(name: "Connection", value: "close")
            let path = relay.pathAndQuery
            let uri = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : path)
            self.url = relay
            self.head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
            self.sniHostName = isIPLiteral ? nil : relay.host
        }
    }

    /// The one result of a request, whichever comes first: the answer, an error, the
    /// timeout or the caller's cancellation. Settling closes the connection.
    final class FetchOutcome: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<[UInt8], TransportError>?
        private var waiter: CheckedContinuation<Result<[UInt8], TransportError>, Never>?
        private var channel: (any Channel)?

        /// Waits for the result (at once if there is one).
        func value() async -> Result<[UInt8], TransportError> {
            await withCheckedContinuation { continuation in
                let ready: Result<[UInt8], TransportError>? = lock.withLock {
                    if let result { return result }
                    waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }

        /// Records `result` unless one is already recorded; closes the connection.
        func settle(_ result: Result<[UInt8], TransportError>) {
            typealias Taken = (waiter: CheckedContinuation<Result<[UInt8], TransportError>, Never>?, channel: (any Channel)?)
            let taken: Taken? = lock.withLock {
                guard self.result == nil else { return nil }
                self.result = result
                defer {
                    self.waiter = nil
                    self.channel = nil
                }
                return (self.waiter, self.channel)
            }
            guard let taken else { return }
            taken.channel?.close(promise: nil)
            taken.waiter?.resume(returning: result)
        }

        /// Hands over the connection; closes it at once if the request is already over
        /// (the timeout fired while connecting).
        func attach(_ channel: any Channel) {
            let over: Bool = lock.withLock {
                if result != nil { return true }
                self.channel = channel
                return false
            }
            if over { channel.close(promise: nil) }
        }
    }

    /// Caps every byte received (after TLS), so headers and chunk framing are bounded too.
    final class InboundByteLimit: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let limit: Int
        private let reportedLimit: Int
        private let outcome: FetchOutcome
        private var received = 0

        init(limit: Int, reportedLimit: Int, outcome: FetchOutcome) {
            self.limit = limit
            self.reportedLimit = reportedLimit
            self.outcome = outcome
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard received <= limit else { return }
            received += unwrapInboundIn(data).readableBytes
            guard received <= limit else {
                outcome.settle(.failure(.messageTooLarge(limit: reportedLimit)))
                context.close(promise: nil)
                return
            }
            context.fireChannelRead(data)
        }
    }

    /// Sends the request once connected and collects the answer: fails on any status but
    /// 200 (so a redirect is never followed) and on a body over the limit, as soon as it
    /// shows (a too-large `Content-Length` fails before any body byte).
    final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        private let request: HTTPRequestHead
        private let maxBodyBytes: Int
        private let outcome: FetchOutcome
        private var body: [UInt8] = []
        private var done = false

        init(request: HTTPRequestHead, maxBodyBytes: Int, outcome: FetchOutcome) {
            self.request = request
            self.maxBodyBytes = maxBodyBytes
            self.outcome = outcome
        }

        func channelActive(context: ChannelHandlerContext) {
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { [outcome] error in
                outcome.settle(.failure(HTTPRelayInformationFetcher.classify(error)))
            }
            context.write(wrapOutboundOut(.head(request)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !done else { return }
            switch unwrapInboundIn(data) {
            case .head(let head):
                guard head.status == .ok else {
                    finish(context, .failure(Self.statusError(head)))
                    return
                }
                if let declared = head.headers.first(name: "Content-Length").flatMap({ Int($0) }), declared > maxBodyBytes {
                    finish(context, .failure(.messageTooLarge(limit: maxBodyBytes)))
                }
            case .body(let buffer):
                guard body.count + buffer.readableBytes <= maxBodyBytes else {
                    finish(context, .failure(.messageTooLarge(limit: maxBodyBytes)))
                    return
                }
                body += buffer.readableBytesView
            case .end:
                finish(context, .success(body))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            guard !done else { return }
            finish(context, .failure(HTTPRelayInformationFetcher.classify(error)))
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !done {
                finish(context, .failure(.closedByPeer(code: nil, reason: "connection closed before the relay information was complete")))
            }
            context.fireChannelInactive()
        }

        private func finish(_ context: ChannelHandlerContext, _ result: Result<[UInt8], TransportError>) {
            done = true
            outcome.settle(result)
            context.close(promise: nil)
        }

        /// The error for a status other than 200 (server text shortened: it is untrusted).
        static func statusError(_ head: HTTPResponseHead) -> TransportError {
            let code = Int(head.status.code)
            let phrase = String(head.status.reasonPhrase.prefix(80))
            if (300..<400).contains(code) {
                let location = head.headers.first(name: "Location").map { " to \(String($0.prefix(200)).debugDescription)" } ?? ""
                return .relayInformationUnavailable(status: code, reason: "redirect\(location) not followed")
            }
            return .relayInformationUnavailable(status: code, reason: "the relay answered \(code) \(phrase)")
        }
    }
}
