import HTTPTypes
import Hummingbird
import NIOCore

/// Answers a WebSocket upgrade refused by `UpgradeAdmissionHandler` with 503 Service
/// Unavailable and `Retry-After`, before any route runs.
struct ConnectionRefusalMiddleware<Context: RequestContext>: RouterMiddleware {
    let retryAfterSeconds: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let name = HTTPField.Name(UpgradeAdmissionHandler.refusalHeader),
              let value = request.headers[name], let refusal = ConnectionRefusal(rawValue: value) else {
            return try await next(request, context)
        }
        let why = refusal == .perIP ? "too many connections from your address" : "too many connections"
        return Response(
            status: .serviceUnavailable,
            headers: [.retryAfter: String(retryAfterSeconds), .contentType: "text/plain; charset=utf-8", .connection: "close"],
            body: .init(byteBuffer: ByteBuffer(string: "\(why); retry in \(retryAfterSeconds) s\n")))
    }
}
