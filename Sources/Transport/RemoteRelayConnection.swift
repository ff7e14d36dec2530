import Nostr

/// The connection to one remote relay: one actor per relay URL, kept for the life of the
/// relay in the node and reused across reconnects.
///
/// It owns at most one open session at a time. `connect()` replaces the current session
/// (closing the old one first), `disconnect()` closes it, and `send` goes to whatever session
/// is current. Concurrent `connect()` calls share one attempt. A `disconnect()` while an
/// attempt is in flight wins: the attempt's session is closed and `connect()` throws
/// `.notConnected`.
///
/// The actor does no retrying or backoff itself: the caller (the sync engine, driven by the
/// health tracker) decides when to call `connect()` again. Once connected, `startReading`
/// makes it the reader of the session: it ingests delivered events, reports refusals to the
/// health tracker, routes every reply to the request waiting for it (the channel it returns)
/// and publishes what the engine must know on ``events``.
public actor RemoteRelayConnection {
    /// The relay this actor connects to.
    public nonisolated let url: RelayURL
    /// The transport used for every attempt.
    public nonisolated let transport: any RelayTransport

    /// The session of the last successful `connect()`, until `disconnect()` or the next
    /// `connect()` (it may have ended since: its `messages` finished).
    public private(set) var currentSession: (any RelaySession)?
    /// Connection attempts started so far.
    public private(set) var attempts = 0
    /// Attempts that produced a session.
    public private(set) var successfulConnections = 0
    /// The error of the last failed attempt (cleared by a successful one).
    public private(set) var lastConnectError: TransportError?

    private var generation = 0
    private var inFlight: (generation: Int, task: Task<Result<any RelaySession, TransportError>, Never>)?

    /// What the engine must know about this relay's connections, in order (see
    /// ``RemoteRelayEvent``); ends with ``finish()``.
    public nonisolated let events: AsyncStream<RemoteRelayEvent>
    let eventsContinuation: AsyncStream<RemoteRelayEvent>.Continuation
    /// The reading session's router (requests waiting for replies), nil while not reading.
    var router: SubscriptionRouter?
    /// The read loop of the current session.
    var reader: Task<Void, Never>?

    public init(url: RelayURL, transport: any RelayTransport) {
        self.url = url
        self.transport = transport
        (events, eventsContinuation) = AsyncStream<RemoteRelayEvent>.makeStream()
    }

    /// Opens a new session (closing the current one first) and returns it, or throws the
    /// attempt's classified `TransportError`.
    @discardableResult
    public func connect() async throws(TransportError) -> any RelaySession {
        if let inFlight, inFlight.generation == generation {
            return try await finishAttempt(inFlight.generation, inFlight.task)
        }
        if let old = currentSession {
            currentSession = nil
            await old.close()
        }
        generation += 1
        let attemptGeneration = generation
        attempts += 1
        let transport = self.transport
        let url = self.url
        let task = Task { () -> Result<any RelaySession, TransportError> in
            do throws(TransportError) { return .success(try await transport.connect(to: url)) } catch { return .failure(error) }
        }
        inFlight = (attemptGeneration, task)
        return try await finishAttempt(attemptGeneration, task)
    }

    private func finishAttempt(
        _ attemptGeneration: Int, _ task: Task<Result<any RelaySession, TransportError>, Never>
    ) async throws(TransportError) -> any RelaySession {
        let result = await task.value
        if inFlight?.generation == attemptGeneration { inFlight = nil }
        switch result {
        case .success(let session):
            guard attemptGeneration == generation else {
                // Superseded by disconnect() (or a later connect()) while connecting.
                if currentSession !== session { await session.close() }
                throw .notConnected
            }
            if currentSession !== session {
                currentSession = session
                successfulConnections += 1
                lastConnectError = nil
            }
            return session
        case .failure(let error):
            // Superseded by disconnect() while connecting: report that, not the cancellation.
            guard attemptGeneration == generation else { throw .notConnected }
            lastConnectError = error
            throw error
        }
    }

    /// Closes the current session cleanly (no-op when there is none) and abandons an
    /// attempt in flight.
    public func disconnect() async {
        generation += 1
        if let inFlight {
            inFlight.task.cancel()
            self.inFlight = nil
        }
        if let session = currentSession {
            currentSession = nil
            await session.close()
        }
    }

    /// Sends on the current session; `.notConnected` when there is none or it has ended.
    public func send(_ message: ClientMessage) async throws(TransportError) {
        guard let session = currentSession else { throw .notConnected }
        try await session.send(message)
    }

    /// Why the current session ended (nil while it is open or when there is none).
    public func lastCloseReason() async -> TransportError? {
        await currentSession?.closeReason()
    }
}
