import Nostr

/// The client side of one NIP-77 session as a pure state machine: feed it what the relay
/// sends (and idle timeouts), carry out the actions it returns.
public struct NegentropyClientStateMachine: Sendable {
    /// What the driver must do next.
    public enum Action: Sendable, Equatable {
        /// Send this message and keep waiting (the session made progress).
        case send(ClientMessage)
        /// Nothing to do (unrelated message or harmless chatter); keep waiting.
        case wait
        /// The session is over: send `closeMessage` if any, then report `outcome`.
        case finish(closeMessage: ClientMessage?, outcome: Result<NegentropyClientResult, NegentropyClientFailure>)
    }

    private enum State: Sendable {
        case idle
        case waiting(firstReplySeen: Bool)
        case done
    }

    public let subscriptionID: String
    public let filter: Filter
    /// Reads refusal texts (Health's `RefusalClassifier.classify` in production).
    private let classify: @Sendable (String) -> RelayRefusal
    private var engine: Negentropy
    private var state: State = .idle
    private var have: [NegentropyID] = []
    private var need: [NegentropyID] = []
    private var seenHave = Set<NegentropyID>()
    private var seenNeed = Set<NegentropyID>()
    private var result = NegentropyClientResult()
    /// Rounds in a row that found no id not seen before.
    private var roundsWithoutNewIDs = 0
    private let maxRoundsWithoutNewIDs: Int
    private let maxRounds: Int

    /// - Parameters:
    ///   - storage: the local items for `filter` (sealed).
    ///   - frameSizeLimit: the client frame limit (60,000 keeps every message under the
    ///     128 KiB WebSocket frames strfry accepts).
    ///   - classify: reads the relay's refusal texts (NOTICE, CLOSED, NEG-ERR).
    ///   - maxRoundsWithoutNewIDs: rounds in a row that may find no new id (an honest
    ///     session descends one fingerprint level a round, 16 ranges each, so a few rounds
    ///     reach the differences of any realistic set) before the session ends as
    ///     ``NegentropyClientFailure/noProgress(rounds:)``.
    ///   - maxRounds: rounds in all (a frame of at most `frameSizeLimit` bytes a round).
    public init(subscriptionID: String, filter: Filter, storage: NegentropyStorage, frameSizeLimit: Int = 60_000,
                maxRoundsWithoutNewIDs: Int = 32, maxRounds: Int = 2_000,
                classify: @escaping @Sendable (String) -> RelayRefusal) throws(NegentropyError) {
        self.subscriptionID = subscriptionID
        self.filter = filter
        self.classify = classify
        self.maxRoundsWithoutNewIDs = maxRoundsWithoutNewIDs
        self.maxRounds = maxRounds
        self.engine = try Negentropy(storage: storage, frameSizeLimit: frameSizeLimit)
    }

    /// Opens the session: returns the NEG-OPEN to send.
    public mutating func start() -> Action {
        guard case .idle = state else { return .wait }
        do {
            let first = try engine.initiate()
            state = .waiting(firstReplySeen: false)
            result.bytesSent += first.count
            var f = filter
            f.limit = nil
            return .send(.negOpen(subscriptionID: subscriptionID, filter: f, initialMessage: Hex.encode(first)))
        } catch {
            state = .done
            return .finish(closeMessage: nil, outcome: .failure(.protocolError(error.message)))
        }
    }

    /// Handles one message from the relay.
    public mutating func receive(_ message: RelayMessage) -> Action {
        guard case .waiting(let firstReplySeen) = state else { return .wait }
        switch message {
        case .negMsg(let id, let hex) where id == subscriptionID:
            guard let bytes = Hex.decode(hex) else { return fail(.protocolError("NEG-MSG is not hex"), close: true) }
            state = .waiting(firstReplySeen: true)
            result.rounds += 1
            result.bytesReceived += bytes.count
            var roundHave: [NegentropyID] = []
            var roundNeed: [NegentropyID] = []
            do {
                let next = try engine.reconcile(bytes, have: &roundHave, need: &roundNeed)
                let known = have.count + need.count
                for id in roundHave where seenHave.insert(id).inserted { have.append(id) }
                for id in roundNeed where seenNeed.insert(id).inserted { need.append(id) }
                roundsWithoutNewIDs = have.count + need.count > known ? 0 : roundsWithoutNewIDs + 1
                guard let next else {
                    state = .done
                    result.have = have
                    result.need = need
                    return .finish(closeMessage: .negClose(subscriptionID: subscriptionID), outcome: .success(result))
                }
                if roundsWithoutNewIDs >= maxRoundsWithoutNewIDs || result.rounds >= maxRounds {
                    return fail(.noProgress(rounds: result.rounds), close: true)
                }
                result.bytesSent += next.count
                return .send(.negMsg(subscriptionID: subscriptionID, message: Hex.encode(next)))
            } catch {
                return fail(.protocolError(error.message), close: true)
            }
        case .negErr(let id, let reason, let max) where id == subscriptionID:
            // A NEG-ERR is always the end of the session, whatever its wording.
            return fail(NegentropyClientFailure(refusal: classify(reason), text: reason, maxRecords: max) ?? .relayError(reason), close: false)
        case .notice(let text) where !firstReplySeen:
            // Before the first reply a NOTICE answers this NEG-OPEN (the router hands it to
            // the oldest session still waiting); chatter is ignored.
            guard let failure = NegentropyClientFailure(refusal: classify(text), text: text) else { return .wait }
            return fail(failure, close: false)
        case .closed(let id, let reason) where id == subscriptionID:
            // A relay that CLOSEs a NEG-OPEN without a recognisable reason does not do NIP-77.
            let failure = NegentropyClientFailure(refusal: classify(reason), text: reason)
            switch failure {
            case .tooLarge?, .blocked?, .rateLimited?: return fail(failure!, close: false)
            default: return fail(.unsupported("CLOSED: \(reason)"), close: false)
            }
        default:
            return .wait
        }
    }

    /// No progress for the idle timeout.
    public mutating func idleTimeout() -> Action {
        guard case .waiting(let firstReplySeen) = state else { return .wait }
        return fail(firstReplySeen ? .stalled : .timeout, close: true)
    }

    /// The connection closed.
    public mutating func disconnected() -> Action {
        guard case .waiting = state else { return .wait }
        state = .done
        return .finish(closeMessage: nil, outcome: .failure(.disconnected))
    }

    /// Whether the session has ended.
    public var isFinished: Bool { if case .done = state { return true } else { return false } }

    private mutating func fail(_ failure: NegentropyClientFailure, close: Bool) -> Action {
        state = .done
        return .finish(closeMessage: close ? .negClose(subscriptionID: subscriptionID) : nil, outcome: .failure(failure))
    }
}
