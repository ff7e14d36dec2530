import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Wraps the HTTP/WebSocket child channel so every connection gets a
/// `ConnectionGuardHandler` in front of its HTTP codec (after TLS, if any).
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let timeouts: RelayServerTimeouts

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { [timeouts] value in
            // NIO puts the response encoder in front of the request decoder: go before both.
            let encoder = try channel.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
            try channel.pipeline.syncOperations.addHandler(
                ConnectionGuardHandler(headerReadTimeout: .milliseconds(Int64(timeouts.headerReadTimeout * 1000)),
                                       maxHeaderBytes: timeouts.maxHeaderBytes),
                position: .before(encoder.handler))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
