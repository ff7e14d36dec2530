import Foundation
import Nostr
import Reconcile
import Testing

// Support for the NIP-77 client tests: deterministic item sets, our own responder engine
// playing the relay, and a scripted `NegentropyLink`.

/// Three disjoint item sets: A (client only), B (common), C (relay only).
struct ClientItemSets: Sendable {
    let onlyClient: [NegentropyItem]
    let common: [NegentropyItem]
    let onlyRelay: [NegentropyItem]

    var clientItems: [NegentropyItem] { onlyClient + common }
    var relayItems: [NegentropyItem] { common + onlyRelay }
    var onlyClientIDs: Set<NegentropyID> { Set(onlyClient.map(\.id)) }
    var onlyRelayIDs: Set<NegentropyID> { Set(onlyRelay.map(\.id)) }

    /// Random ids (seeded, so reproducible) with timestamps drawn from `timestamps`, so the
    /// three sets interleave in negentropy order.
    static func make(seed: UInt64, onlyClient: Int, common: Int, onlyRelay: Int,
                     timestamps: ClosedRange<UInt64> = 1_700_000_000...1_700_100_000) -> ClientItemSets {
        var rng = SplitMix64(seed: seed)
        var seen = Set<NegentropyID>()
        func items(_ n: Int) -> [NegentropyItem] {
            var out: [NegentropyItem] = []
            while out.count < n {
                let id = NegentropyID(bytes: rng.bytes(32))!
                guard seen.insert(id).inserted else { continue }
                out.append(NegentropyItem(timestamp: UInt64.random(in: timestamps, using: &rng), id: id))
            }
            return out
        }
        return ClientItemSets(onlyClient: items(onlyClient), common: items(common), onlyRelay: items(onlyRelay))
    }
}

func sealedStorage(_ items: [NegentropyItem]) throws -> NegentropyStorage {
    try NegentropyStorage(sealing: items)
}

/// Whether an item lies in a filter's since/until window (the only fields the responders here
/// look at).
func itemInWindow(_ item: NegentropyItem, _ filter: Filter) -> Bool {
    if let since = filter.since, item.timestamp < UInt64(max(0, since)) { return false }
    if let until = filter.until, until < 0 || item.timestamp > UInt64(until) { return false }
    return true
}

/// Our responder engine behind a relay-like NIP-77 surface: NEG-OPEN lists the items in the
/// filter's time window (refusing with `blocked:` and the maximum above `maxItems`), NEG-MSG
/// is one responder round, NEG-CLOSE frees the session. Records every NEG-OPEN.
final class ResponderRelay: @unchecked Sendable {
    struct Open: Equatable, Sendable {
        let subscriptionID: String
        let since: Int64?
        let until: Int64?
        let matched: Int
        let blocked: Bool
    }

    private let lock = NSLock()
    private let items: [NegentropyItem]
    private let frameSizeLimit: Int
    private let maxItems: Int?
    private var sessions: [String: Negentropy] = [:]
    private var openLog: [Open] = []
    private var closeLog: [String] = []

    init(items: [NegentropyItem], frameSizeLimit: Int = 0, maxItems: Int? = nil) {
        self.items = items
        self.frameSizeLimit = frameSizeLimit
        self.maxItems = maxItems
    }

    var opens: [Open] { lock.withLock { openLog } }
    var closes: [String] { lock.withLock { closeLog } }
    var openSessionCount: Int { lock.withLock { sessions.count } }

    /// The relay's answer to one client message (nil: no answer).
    func answer(_ message: ClientMessage) -> RelayMessage? {
        lock.withLock {
            switch message {
            case .negOpen(let id, let filter, let hex):
                sessions[id] = nil
                let window = items.filter { itemInWindow($0, filter) }
                if let maxItems, window.count > maxItems {
                    openLog.append(Open(subscriptionID: id, since: filter.since, until: filter.until, matched: window.count, blocked: true))
                    return .negErr(subscriptionID: id, reason: "blocked: too many query results", maxRecords: maxItems)
                }
                openLog.append(Open(subscriptionID: id, since: filter.since, until: filter.until, matched: window.count, blocked: false))
                do {
                    var engine = try Negentropy(storage: try NegentropyStorage(sealing: window), frameSizeLimit: frameSizeLimit)
                    guard let bytes = Hex.decode(hex) else { return .negErr(subscriptionID: id, reason: "invalid: not hex", maxRecords: nil) }
                    let reply = try engine.reconcile(bytes)
                    sessions[id] = engine
                    return .negMsg(subscriptionID: id, message: Hex.encode(reply))
                } catch {
                    return .negErr(subscriptionID: id, reason: "invalid: \(error)", maxRecords: nil)
                }
            case .negMsg(let id, let hex):
                guard var engine = sessions[id] else {
                    return .negErr(subscriptionID: id, reason: "closed: unknown subscription handle", maxRecords: nil)
                }
                guard let bytes = Hex.decode(hex), let reply = try? engine.reconcile(bytes) else {
                    sessions[id] = nil
                    return .negErr(subscriptionID: id, reason: "invalid: bad message", maxRecords: nil)
                }
                sessions[id] = engine
                return .negMsg(subscriptionID: id, message: Hex.encode(reply))
            case .negClose(let id):
                closeLog.append(id)
                sessions[id] = nil
                return nil
            default:
                return nil
            }
        }
    }
}

/// A `NegentropyLink` test double. Every sent message is logged, published on `sentMessages`,
/// and handed to `script`, whose replies become the next inbound events. Tests can also inject
/// events (`deliver`) or end the connection (`disconnect`).
final class ScriptedNegentropyLink: NegentropyLink, @unchecked Sendable {
    struct SendFailed: Error {}

    private let lock = NSLock()
    private var log: [ClientMessage] = []
    private let script: @Sendable (ClientMessage) -> [NegentropyLinkEvent]
    private let failSends: Bool
    private let inbound: AsyncStream<NegentropyLinkEvent>
    private let inboundContinuation: AsyncStream<NegentropyLinkEvent>.Continuation
    /// Every message the session sent, in order, as it is sent.
    let sentMessages: AsyncStream<ClientMessage>
    private let sentContinuation: AsyncStream<ClientMessage>.Continuation

    init(failSends: Bool = false, script: @escaping @Sendable (ClientMessage) -> [NegentropyLinkEvent]) {
        self.failSends = failSends
        self.script = script
        (inbound, inboundContinuation) = AsyncStream<NegentropyLinkEvent>.makeStream()
        (sentMessages, sentContinuation) = AsyncStream<ClientMessage>.makeStream()
    }

    /// A link whose relay is `responder`.
    convenience init(responder: ResponderRelay) {
        self.init { message in responder.answer(message).map { [.message($0)] } ?? [] }
    }

    var sent: [ClientMessage] { lock.withLock { log } }

    func deliver(_ event: NegentropyLinkEvent) { inboundContinuation.yield(event) }
    func disconnect() { inboundContinuation.finish() }

    func send(_ message: ClientMessage) async throws {
        if failSends { throw SendFailed() }
        lock.withLock { log.append(message) }
        sentContinuation.yield(message)
        for event in script(message) { inboundContinuation.yield(event) }
    }

    func next() async -> NegentropyLinkEvent? {
        // One consumer at a time (the session); iterators of one AsyncStream share its buffer.
        var iterator = inbound.makeAsyncIterator()
        return await iterator.next()
    }
}

/// The first message a link sends, with a hang guard (a safety net, not a timing assertion).
func firstSent(_ link: ScriptedNegentropyLink, deadline seconds: Double = 10) async throws -> ClientMessage {
    let stream = link.sentMessages
    return try await withThrowingTaskGroup(of: ClientMessage?.self) { group in
        group.addTask {
            var it = stream.makeAsyncIterator()
            return await it.next()
        }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let message = first else {
            throw ClientTestError.timedOut("nothing sent within \(seconds) s")
        }
        return message
    }
}

/// Awaits `body` with a hang guard.
func withHangGuard<T: Sendable>(_ seconds: Double = 30, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw ClientTestError.timedOut("no result within \(seconds) s")
        }
        return value
    }
}

enum ClientTestError: Error { case timedOut(String), unexpected(String) }

/// Drives a client state machine against our responder until it finishes; returns the final
/// action and every message the machine sent.
func exchange(_ machine: inout NegentropyClientStateMachine, with responder: ResponderRelay,
              maxSteps: Int = 10_000) -> (final: NegentropyClientStateMachine.Action, sent: [ClientMessage]) {
    var sent: [ClientMessage] = []
    var action = machine.start()
    for _ in 0..<maxSteps {
        guard case .send(let message) = action else { return (action, sent) }
        sent.append(message)
        guard let reply = responder.answer(message) else { return (action, sent) }
        action = machine.receive(reply)
    }
    return (action, sent)
}

/// The binary payload of a NEG-OPEN or NEG-MSG.
func negentropyPayload(_ message: ClientMessage) -> [UInt8]? {
    switch message {
    case .negOpen(_, _, let hex), .negMsg(_, let hex): return Hex.decode(hex)
    default: return nil
    }
}

extension NegentropyClientStateMachine.Action {
    /// The outcome of a `.finish`.
    var outcome: Result<NegentropyClientResult, NegentropyClientFailure>? {
        if case .finish(_, let outcome) = self { return outcome }
        return nil
    }

    var closeMessage: ClientMessage?? {
        if case .finish(let close, _) = self { return .some(close) }
        return nil
    }
}
