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
import Store

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
        configureRouter: (Router<BasicRequestContext>) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        logger: Logger
    ) throws -> some ApplicationProtocol {
        let router = Router()
        if let admission = relay.admission {
            // First, so it precedes every route (and the not-found answer).
            router.add(middleware: ConnectionRefusalMiddleware(retryAfterSeconds: admission.limits.retryAfterSeconds))
        }
        addInformationRoute(to: router, relay: relay)
        configureRouter(router)
        let wsRouter = Router(context: RelayWebSocketRequestContext.self)
        wsRouter.ws("/") { inbound, outbound, context in
            let budget = relay.admission.map { admission in
                let trusted = admission.limits.trustedProxyHeader
                let values = trusted.flatMap { HTTPField.Name($0) }.map { context.request.headers[values: $0] } ?? []
                return admission.connectionBudget(ip: ClientAddress.resolve(
                    peerIP: context.requestContext.peerIP, headerValues: values, trustedHeader: trusted))
            }
            await serveConnection(relay: relay, budget: budget, inbound: inbound, outbound: outbound)
        }
        let limits = relay.limits
        let wsConfig = WebSocketServerConfiguration(
            maxFrameSize: limits.hardMessageLength,
            extensions: compression ? [.perMessageDeflate(maxDecompressedFrameSize: limits.hardMessageLength)] : [],
            autoPing: .enabled(timePeriod: .seconds(30))
        )
        var server: HTTPServerBuilder
        if let admission = relay.admission {
            let wsResponder = wsRouter.buildResponder()
            let observer = relay.observer
            server = HTTPServerBuilder { responder in
                AdmissionControlledChannel(
                    base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: wsResponder, configuration: .init(ws: wsConfig)),
                    admission: admission, observer: observer)
            }
        } else {
            server = .http1WebSocketUpgrade(webSocketRouter: wsRouter, configuration: .init(ws: wsConfig))
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

    /// Runs one WebSocket client connection until either side closes it.
    static func serveConnection(relay: NostrRelay, budget: ConnectionBudget?, inbound: WebSocketInboundStream,
                                outbound: WebSocketOutboundWriter) async {
        let limits = relay.limits
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
                } catch {
                    relay.logger.debug("connection read ended: \(error)")
                }
            },
            write: { text in try await outbound.write(.text(text)) },
            close: { reason in try? await outbound.close(.policyViolation, reason: reason) })
    }
}
