import Foundation
import Health
import Nostr
import Reconcile
import Testing
import Transport

/// A session whose inbound messages the test feeds.
final class FedRelaySession: RelaySession, @unchecked Sendable {
    let url: RelayURL
    let messages: RelayMessageStream
    let feed: RelayMessageStream.Continuation
    private let lock = NSLock()
    private var sentLog: [ClientMessage] = []

    init(url: RelayURL) {
        self.url = url
        (messages, feed) = RelayMessageStream.makeStream()
    }

    var sent: [ClientMessage] { lock.withLock { sentLog } }
    func send(_ message: ClientMessage) async throws(TransportError) { lock.withLock { sentLog.append(message) } }
    func close() async { feed.finish() }
    func closeReason() async -> TransportError? { nil }
}

/// A transport that hands out one prepared session.
struct OneSessionTransport: RelayTransport {
    let session: FedRelaySession
    func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession { session }
}

/// Records ingested batches; the log is what the store would have seen, in order.
actor RecordingSink: InboundEventSink {
    private(set) var batches: [[String]] = []
    func ingest(_ events: [NostrEvent], from relay: RelayURL) async -> Int {
        batches.append(events.map(\.id))
        return events.count
    }
}

/// Records the refusal texts a connection reports.
actor RecordingSignals: RelaySignalObserving {
    private(set) var closed: [String] = []
    private(set) var notices: [String] = []
    func observeNotice(_ url: String, text: String) async -> RelayHealthStateMachine.RateLimitAction? { notices.append(text); return nil }
    func observeClosed(_ url: String, reason: String) async -> RelayHealthStateMachine.RateLimitAction? { closed.append(reason); return nil }
    func observeOK(_ url: String, accepted: Bool, message: String) async -> RelayHealthStateMachine.RateLimitAction? { nil }
}

/// The connection actor reading a session alone: ingest before routing, refusals reported,
/// unclaimed CLOSEDs and the end published on its event stream.
@Suite struct RemoteRelayConnectionReadingTests {
    static let url = RelayURL("wss://reader.example")!

    static func event(_ n: Int) -> NostrEvent {
        NostrEvent(id: String(format: "%064x", n), pubkey: String(repeating: "b", count: 64), createdAt: 1_700_000_000 + Int64(n),
                   kind: 1621, tags: [], content: "", sig: String(repeating: "0", count: 128))
    }

    @Test func eventsAreIngestedBeforeTheirEOSEReachesTheRequest() async throws {
        let session = FedRelaySession(url: Self.url)
        let connection = RemoteRelayConnection(url: Self.url, transport: OneSessionTransport(session: session))
        _ = try await connection.connect()
        let sink = RecordingSink()
        let signals = RecordingSignals()
        let channel = await connection.startReading(session, generation: 7, sink: sink, signals: signals, now: { 0 })
        let deliveries = channel.register("hist-1", timeout: 60)
        try await channel.send(.req(subscriptionID: "hist-1", filters: [Filter(kinds: [1621])]))
        #expect(session.sent == [.req(subscriptionID: "hist-1", filters: [Filter(kinds: [1621])])])
        await session.feed.send(.event(subscriptionID: "hist-1", event: Self.event(1)))
        await session.feed.send(.event(subscriptionID: "hist-1", event: Self.event(2)))
        await session.feed.send(.eose(subscriptionID: "hist-1"))
        var received: [RequestDelivery] = []
        for await delivery in deliveries {
            received.append(delivery)
            if case .message(.eose) = delivery {
                // By the time the request sees EOSE, the sink has both events.
                #expect(await sink.batches.flatMap { $0 } == [Self.event(1).id, Self.event(2).id])
                break
            }
        }
        #expect(received.count == 3)
        await connection.finish()
    }

    @Test func unclaimedClosedAndTheEndArePublishedWithTheGeneration() async throws {
        let session = FedRelaySession(url: Self.url)
        let connection = RemoteRelayConnection(url: Self.url, transport: OneSessionTransport(session: session))
        _ = try await connection.connect()
        let sink = RecordingSink()
        let signals = RecordingSignals()
        _ = await connection.startReading(session, generation: 3, sink: sink, signals: signals, now: { 0 })
        await session.feed.send(.event(subscriptionID: "live-1", event: Self.event(5)))
        await session.feed.send(.closed(subscriptionID: "live-1", message: "rate-limited: slow down"))
        await session.feed.send(.notice("hello"))
        session.feed.finish()
        var published: [RemoteRelayEvent] = []
        for await event in connection.events {
            published.append(event)
            if case .ended = event { break }
        }
        #expect(published == [
            .delivered(generation: 3, saved: 1),
            .subscriptionClosed(generation: 3, subscriptionID: "live-1", reason: "rate-limited: slow down"),
            .ended(generation: 3, reason: nil),
        ])
        #expect(await signals.closed == ["rate-limited: slow down"])
        #expect(await signals.notices == ["hello"])
        await connection.finish()
    }

    @Test func finishEndsWaitingRequestsAndTheEventStream() async throws {
        let session = FedRelaySession(url: Self.url)
        let connection = RemoteRelayConnection(url: Self.url, transport: OneSessionTransport(session: session))
        _ = try await connection.connect()
        let channel = await connection.startReading(session, generation: 1, sink: RecordingSink(), signals: nil, now: { 0 })
        let deliveries = channel.register("hist-9", timeout: 60)
        await connection.finish()
        var received: [RequestDelivery] = []
        for await delivery in deliveries { received.append(delivery) }
        #expect(received == [.disconnected])
        var rest: [RemoteRelayEvent] = []
        for await event in connection.events { rest.append(event) }
        #expect(rest.allSatisfy { if case .ended = $0 { true } else { false } })
    }
}
