import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWSCompression
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import Nostr
import ServiceLifecycle
import Store
import Synchronization

/// Builds the HTTP + WebSocket application serving a `NostrRelay`: NIP-11 on `GET /` with
/// `Accept: application/nostr+json`, the Nostr protocol on a WebSocket upgrade of `/`, plus
/// any routes the caller adds (the node adds `/metrics` and `/status`).
public enum RelayServer {
    /// Makes the application. `port` 0 picks a free port, reported through `onServerRunning`.
    /// With `tls`, the endpoint is wss/https (the node normally sits behind a TLS proxy).
    public static func makeApplication(
        relay: NostrRelay,
        host: String = "127.0.0.1",
        port: Int = 7447,
        compression: Bool = true,
        tls: TLSConfiguration? = nil,
        timeouts: RelayServerTimeouts = RelayServerTimeouts(),
        configureRouter: (Router<BasicRequestContext>) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        logger: Logger
    ) throws -> some ApplicationProtocol {
        let router = Router()
        if let admission = relay.admission {
            // First, so it precedes every route (and the not-found answer).
            router.add(middleware: ConnectionRefusalMiddleware(retryAfterSeconds: admission.limits.retryAfterSeconds))
        }
        // The caller's routes and middleware first: middleware only wraps routes added after
        // it, and the node's status page answers browsers on `GET /` before NIP-11's route.
        configureRouter(router)
        addInformationRoute(to: router, relay: relay)
        let wsRouter = Router(context: RelayWebSocketRequestContext.self)
        wsRouter.ws("/") { inbound, outbound, context in
            let budget = relay.admission.map { admission in
                let trusted = admission.limits.trustedProxyHeader
                let values = trusted.flatMap { HTTPField.Name($0) }.map { context.request.headers[values: $0] } ?? []
                return admission.connectionBudget(ip: ClientAddress.resolve(
                    peerIP: context.requestContext.peerIP, headerValues: values, trustedHeader: trusted))
            }
            try await serveConnection(relay: relay, budget: budget, inbound: inbound, outbound: outbound)
        }
        let limits = relay.limits
        let wsConfig = WebSocketServerConfiguration(
            maxFrameSize: limits.hardMessageLength,
            extensions: compression ? [.sizeMappedPerMessageDeflate(maxDecompressedFrameSize: limits.hardMessageLength)] : [],
            autoPing: .enabled(timePeriod: .seconds(30)),
            closeTimeout: timeouts.closeTimeout.secondsDuration,
            // Invalid UTF-8 in a text message closes the connection with 1007.
            validateUTF8: true
        )
        let wsResponder = wsRouter.buildResponder()
        let http1 = HTTP1Channel.Configuration(idleTimeout: .milliseconds(Int64(timeouts.httpIdleTimeout * 1000)))
        let observer = relay.observer
        let admission = relay.admission
        var server = HTTPServerBuilder { responder in
            let base = HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: wsResponder,
                                                    configuration: .init(http1: http1, ws: wsConfig))
            return GuardedChannel(base: AdmissionControlledChannel(base: base, admission: admission, observer: observer),
                                  timeouts: timeouts)
        }
        if let tls {
            // The TLS context is built once here; a bad certificate fails at start-up.
            server = try .tls(server, tlsConfiguration: tls)
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "grasp-sync"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? -1) },
            logger: logger
        )
    }

    /// Adds the NIP-11 document on `GET /` (other `Accept` values get a short text page).
    public static func addInformationRoute(to router: Router<BasicRequestContext>, relay: NostrRelay) {
        let document = relay.information.jsonText
        router.get("/") { request, _ -> Response in
            let accept = request.headers[.accept] ?? ""
            if accept.contains("application/nostr+json") {
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/nostr+json", .accessControlAllowOrigin: "*",
                              .accessControlAllowHeaders: "*", .accessControlAllowMethods: "GET"],
                    body: .init(byteBuffer: ByteBuffer(string: document)))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "grasp-sync: a Nostr relay for NIP-34 git collaboration events. Connect with a WebSocket client.\n")))
        }
    }

    /// Runs one WebSocket client connection until either side closes it, or until the node
    /// shuts down: then the loop stops at once and the library's close handshake (our close
    /// frame, `closeTimeout` for the client's answer, then the TCP close) ends the connection,
    /// whatever the client does. A read that failed on a protocol rule is rethrown so the
    /// library closes with its code (1007 invalid UTF-8, 1009 too big, 1002 protocol error).
    static func serveConnection(relay: NostrRelay, budget: ConnectionBudget?, inbound: WebSocketInboundStream,
                                outbound: WebSocketOutboundWriter) async throws {
        let limits = relay.limits
        let readFailure = Mutex<(any Error)?>(nil)
        // Confined to this connection: handed to the loop below and used only there.
        nonisolated(unsafe) let budget = budget
        try? await cancelWhenGracefulShutdown {
            await RelayConnectionLoop.run(
                relay: relay,
                budget: budget,
                readClient: { deliver in
                    do {
                        for try await message in inbound.messages(maxSize: limits.hardMessageLength) {
                            switch message {
                            case .text(let text): await deliver(.text(text))
                            case .binary: await deliver(.binary)
                            }
                        }
                    } catch is CancellationError {
                    } catch {
                        relay.logger.debug("connection read ended: \(error)")
                        readFailure.withLock { $0 = error }
                    }
                },
                write: { text in try await outbound.write(.text(text)) },
                close: { reason in try? await outbound.close(.policyViolation, reason: reason) })
        }
        if let error = readFailure.withLock({ $0 }) { throw error }
    }
}
