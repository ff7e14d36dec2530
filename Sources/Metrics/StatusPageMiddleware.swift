import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the HTML status page (rendered by ``StatusPage``) on `GET /` to
/// browsers: requests whose `Accept` asks for `text/html` and not for
/// `application/nostr+json` (NIP-11 keeps its route) and that are no WebSocket upgrade.
/// Everything else passes on to the relay's routes.
struct StatusPageMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The current status document and the time to render it at.
    let document: @Sendable () -> (RelayStatusDocument, Double)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/", Self.wantsPage(request.headers) else {
            return try await next(request, context)
        }
        let (status, now) = document()
        var headers: HTTPFields = [.contentType: StatusPage.contentType, .cacheControl: "no-store"]
        if let csp = HTTPField.Name("Content-Security-Policy") { headers[csp] = StatusPage.contentSecurityPolicy }
        if let options = HTTPField.Name("X-Content-Type-Options") { headers[options] = "nosniff" }
        return Response(status: .ok, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: StatusPage.html(status, now: now))))
    }

    static func wantsPage(_ headers: HTTPFields) -> Bool {
        let accept = headers[values: .accept].joined(separator: ",").lowercased()
        return accept.contains("text/html") && !accept.contains("application/nostr+json") && headers[.upgrade] == nil
    }
}
