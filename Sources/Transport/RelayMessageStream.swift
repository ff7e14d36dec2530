import AsyncAlgorithms
import Nostr

/// The inbound side of a `RelaySession`: an async sequence of relay messages with
/// back-pressure (a producer waits until the consumer takes each message).
public struct RelayMessageStream: AsyncSequence, Sendable {
    public typealias Element = RelayMessage
    let channel: AsyncChannel<RelayMessage>

    public init(channel: AsyncChannel<RelayMessage>) {
        self.channel = channel
    }

    public func makeAsyncIterator() -> AsyncChannel<RelayMessage>.AsyncIterator {
        channel.makeAsyncIterator()
    }
}
