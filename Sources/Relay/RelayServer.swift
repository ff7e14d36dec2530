import AsyncAlgorithms
import Hummingbird
import HummingbirdCore
import HummingbirdWSCompression
import HummingbirdWebSocket
import Logging
import NIOCore
import Nostr
import Store

/// Builds the HTTP + WebSocket application serving a `NostrRelay`: NIP-11 on `GET /` with
/// `Accept: application/nostr+json`, the Nostr protocol on a WebSocket upgrade of `/`, plus
/// any routes the caller adds (the node adds `/metrics` and `/status`).
public enum RelayServer {
    /// Makes the application. `port` 0 picks a free port, reported through `onServerRunning`.
    public static func makeApplication(
        relay: NostrRelay,
        host: String = "127.0.0.1",
        port: Int = 7447,
        compression: Bool = true,
        configureRouter: (Router<BasicRequestContext>) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        addInformationRoute(to: router, relay: relay)
        configureRouter(router)
        let wsRouter = Router(context: BasicWebSocketRequestContext.self)
        wsRouter.ws("/") { inbound, outbound, _ in
            await serveConnection(relay: relay, inbound: inbound, outbound: outbound)
        }
        let limits = relay.limits
        let wsConfig = WebSocketServerConfiguration(
            maxFrameSize: limits.hardMessageLength,
            extensions: compression ? [.perMessageDeflate(maxDecompressedFrameSize: limits.hardMessageLength)] : [],
            autoPing: .enabled(timePeriod: .seconds(30))
        )
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: wsRouter, configuration: .init(ws: wsConfig)),
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

    /// Runs one client connection until either side closes it.
    ///
    /// Three producers feed one ordered channel that a single loop consumes: the socket
    /// reader, the live-event feed and background negentropy listings. The channel's
    /// back-pressure makes a client that floods us wait for its own answers.
    static func serveConnection(relay: NostrRelay, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        relay.observer?.connectionOpened()
        defer { relay.observer?.connectionClosed() }
        let limits = relay.limits
        let inputs = AsyncChannel<RelayConnectionInput>()
        let handler = RelayConnectionHandler(relay: relay)
        defer { handler.shutdown() }
        let live = relay.store.subscribe(bufferLimit: limits.maxQueuedLiveEvents)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { inputs.finish() }
                do {
                    for try await message in inbound.messages(maxSize: limits.hardMessageLength) {
                        switch message {
                        case .text(let text): await inputs.send(.text(text))
                        case .binary: await inputs.send(.binary)
                        }
                    }
                } catch {
                    relay.logger.debug("connection read ended: \(error)")
                }
            }
            group.addTask {
                for await event in live { await inputs.send(.live(event)) }
                if !Task.isCancelled { await inputs.send(.liveOverflow) }
            }
            loop: for await input in inputs {
                for action in handler.handle(input) {
                    switch action {
                    case .send(let message):
                        do { try await outbound.write(.text(message.jsonText)) } catch { break loop }
                    case .listNegentropyItems(let id, let generation, let filter):
                        let store = relay.store
                        group.addTask {
                            let result = Result { () throws(StoreError) in try store.idListing(for: filter, maxItems: limits.maxNegentropyItems) }
                            await inputs.send(.negentropyListing(subscriptionID: id, generation: generation, result))
                        }
                    case .close(let reason):
                        try? await outbound.close(.policyViolation, reason: reason)
                        break loop
                    }
                }
            }
            group.cancelAll()
            inputs.finish()
        }
    }
}
