import Health
import Nostr
import Reconcile

/// One remote relay's connection as the sync engine uses it (Transport's connection actor,
/// adapted in App; tests may swap in their own). One per tracked relay, reused by every
/// reconnect.
public protocol RelayLink: AnyObject, Sendable {
    /// What the relay's connections report, in order, tagged with the generation given to
    /// ``startReading(_:generation:signals:)``; ends with ``finish()``.
    var events: AsyncStream<RelayLinkEvent> { get }
    /// Opens a new session (closing the current one first).
    func connect() async throws(RelayLinkFailure) -> any RelayLinkSession
    /// Starts reading `session` (delivered events go to the store, replies to their
    /// requests, the relay's NOTICEs, CLOSEDs and OKs to `signals` before they are routed);
    /// returns the channel historic requests use.
    func startReading(_ session: any RelayLinkSession, generation: Int, signals: any RelaySignalObserving) async -> any HistoricRelayChannel
    /// Times out requests that waited past their deadline.
    func expireRequests(now: Double) async
    /// Closes the connection for good and ends ``events``.
    func finish() async
}

/// One open session: the engine sends its live REQs and CLOSEs on it and closes it.
public protocol RelayLinkSession: AnyObject, Sendable {
    func send(_ message: ClientMessage) async throws
    func close() async
}

/// What a relay link reports.
public enum RelayLinkEvent: Sendable, Equatable {
    /// Delivered events were stored (`saved` new ones).
    case delivered(generation: Int, saved: Int)
    /// The relay ended a subscription nobody was waiting on (a live one) with CLOSED.
    case subscriptionClosed(generation: Int, subscriptionID: String, reason: String)
    /// The session ended; nil when this side closed it.
    case ended(generation: Int, failure: RelayLinkFailure?)
}

/// Why a connection attempt failed or a connection ended, classified for the health tracker.
public struct RelayLinkFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: ConnectionFailureKind
    public var message: String

    public init(kind: ConnectionFailureKind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
