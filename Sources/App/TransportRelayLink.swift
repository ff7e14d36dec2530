import Health
import Layers
import Nostr
import Reconcile
import Transport

/// The engine's ``RelayLink`` on Transport's connection actor: connects through the node's
/// transport, ingests what the relay delivers through the store, reports refusals to the
/// health tracker.
public final class TransportRelayLink: RelayLink {
    /// The relay's connection actor.
    public let connection: RemoteRelayConnection
    let sink: any InboundEventSink
    let clock: any NodeClock
    public let events: AsyncStream<RelayLinkEvent>

    init(connection: RemoteRelayConnection, sink: any InboundEventSink, clock: any NodeClock) {
        self.connection = connection
        self.sink = sink
        self.clock = clock
        let source = connection.events
        events = AsyncStream { continuation in
            let relay = Task {
                for await event in source {
                    switch event {
                    case .delivered(let generation, let saved):
                        continuation.yield(.delivered(generation: generation, saved: saved))
                    case .subscriptionClosed(let generation, let id, let reason):
                        continuation.yield(.subscriptionClosed(generation: generation, subscriptionID: id, reason: reason))
                    case .ended(let generation, let reason):
                        continuation.yield(.ended(generation: generation, failure: reason.map(RelayLinkFailure.init)))
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in relay.cancel() }
        }
    }

    public func connect() async throws(RelayLinkFailure) -> any RelayLinkSession {
        do throws(TransportError) {
            return TransportLinkSession(session: try await connection.connect())
        } catch {
            throw RelayLinkFailure(error)
        }
    }

    public func startReading(_ session: any RelayLinkSession, generation: Int, signals: any RelaySignalObserving) async -> any HistoricRelayChannel {
        // Sessions come from `connect()` above.
        let session = (session as! TransportLinkSession).session
        let clock = self.clock
        return await connection.startReading(session, generation: generation, sink: sink, signals: signals, now: { clock.now() })
    }

    public func expireRequests(now: Double) async {
        await connection.expireRequests(now: now)
    }

    public func finish() async {
        await connection.finish()
    }
}

/// A Transport session as the engine's ``RelayLinkSession``.
final class TransportLinkSession: RelayLinkSession {
    let session: any RelaySession

    init(session: any RelaySession) {
        self.session = session
    }

    func send(_ message: ClientMessage) async throws {
        try await session.send(message)
    }

    func close() async {
        await session.close()
    }
}

extension RelayLinkFailure {
    /// A transport error, classified for the health tracker.
    init(_ error: TransportError) {
        self.init(kind: error.failureKind, message: error.description)
    }
}
