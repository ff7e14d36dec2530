import Nostr

/// An in-process client connection to a `NostrRelay`, speaking the same protocol as the
/// WebSocket endpoint but exchanging JSON texts in memory. Test doubles and benchmarks use
/// it to run the sync engine against a real relay implementation without sockets.
public final class LocalRelayConnection: Sendable {
    private let toRelay: AsyncStream<String>.Continuation
    /// Messages the relay sends, as JSON text, in order. Ends when the connection closes.
    public let fromRelay: AsyncStream<String>
    private let loop: Task<Void, Never>

    /// Opens a connection to `relay`.
    public init(relay: NostrRelay) {
        let (clientStream, clientContinuation) = AsyncStream<String>.makeStream()
        let (relayStream, relayContinuation) = AsyncStream<String>.makeStream()
        toRelay = clientContinuation
        fromRelay = relayStream
        loop = Task {
            await RelayConnectionLoop.run(
                relay: relay,
                readClient: { deliver in
                    for await text in clientStream { await deliver(.text(text)) }
                },
                write: { text in relayContinuation.yield(text) },
                close: { _ in clientContinuation.finish() })
            relayContinuation.finish()
        }
    }

    /// Sends one client message (JSON text) to the relay.
    public func send(_ text: String) {
        toRelay.yield(text)
    }

    /// Closes the connection from the client side and waits for the relay to finish with it.
    public func close() async {
        toRelay.finish()
        await loop.value
    }
}
