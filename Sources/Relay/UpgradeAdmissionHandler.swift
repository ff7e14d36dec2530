import NIOCore
import NIOHTTP1

/// Sits after the HTTP request decoder of every new connection and admits or refuses its
/// WebSocket upgrade against the connection caps before the upgrader sees it.
///
/// Admitted: the slot is held until the TCP connection closes. Refused: the `Upgrade`
/// header is taken out and `refusalHeader` put in, so the request reaches the HTTP router as
/// a plain request and `ConnectionRefusalMiddleware` answers 503 with `Retry-After` (the
/// upgrader itself can only answer 400). Either way the handler then leaves the pipeline:
/// only a connection's first request can upgrade.
final class UpgradeAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    /// Marks a refused upgrade for the HTTP router (value: the `ConnectionRefusal`).
    static let refusalHeader = "x-grasp-sync-connection-refused"

    let admission: ClientAdmission
    let observer: (any RelayObserver)?

    init(admission: ClientAdmission, observer: (any RelayObserver)?) {
        self.admission = admission
        self.observer = observer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        // A client must not mark its own request.
        head.headers.remove(name: Self.refusalHeader)
        if head.headers["upgrade"].contains(where: { $0.lowercased() == "websocket" }) {
            let trusted = admission.limits.trustedProxyHeader
            let ip = ClientAddress.resolve(
                peerIP: context.channel.remoteAddress?.ipAddress,
                headerValues: trusted.map { head.headers[$0] } ?? [], trustedHeader: trusted)
            if let refusal = admission.admit(ip: ip) {
                observer?.connectionRefused(refusal)
                head.headers.remove(name: "upgrade")
                head.headers.replaceOrAdd(name: Self.refusalHeader, value: refusal.rawValue)
            } else {
                let admission = self.admission
                context.channel.closeFuture.whenComplete { _ in admission.release(ip: ip) }
            }
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
