import Foundation
import Nostr
import Relay
import Store

/// One client connection of a `ProfiledRelayServer`: reads WebSocket messages, checks each
/// against the profile (size first, then rates, then the message's own limits), answers a
/// refusal itself or forwards the message to the relay core, and relays the core's answers
/// back, adjusting its bookkeeping (open subscriptions, negentropy sessions) on the way.
final class ProfiledRelayConnection: @unchecked Sendable {
    /// What to do with one client message.
    enum Verdict {
        case forward(String)
        case answer(RelayMessage, ProfiledRelayServer.Refusal.Rule)
        /// Read and never answered.
        case ignore(ProfiledRelayServer.Refusal.Rule)
        /// Drop the TCP connection without a close frame.
        case drop(ProfiledRelayServer.Refusal.Rule)
    }

    private enum NegentropyState { case opening, open }

    /// A fixed one-minute window counting messages, as the measured relays' limiters do.
    private struct MinuteWindow {
        var start: Double?
        var count = 0

        /// Counts one message; false when it is over `limit` in the current window.
        mutating func admit(at now: Double, limit: Int) -> Bool {
            if let s = start, now - s < 60 {
                count += 1
            } else {
                start = now
                count = 1
            }
            return count <= limit
        }
    }

    let index: Int
    let profile: PeerProfile
    private let clock: any NodeClock
    private let store: any EventStore
    private let record: ProfiledRelayRecord

    // Guarded by `lock`: touched by the reader and by the task relaying the core's answers.
    private let lock = NSLock()
    private var openSubscriptions: Set<String> = []
    /// Single-filter ids REQs awaiting their EOSE: ids listed, events seen.
    private var idRequests: [String: (listed: Int, seen: Int)] = [:]
    private var negentropySessions: [String: NegentropyState] = [:]
    private var messageWindow = MinuteWindow()
    private var requestWindow = MinuteWindow()

    init(index: Int, profile: PeerProfile, clock: any NodeClock, store: any EventStore, record: ProfiledRelayRecord) {
        self.index = index
        self.profile = profile
        self.clock = clock
        self.store = store
        self.record = record
    }

    // MARK: - Serving

    /// Runs the connection until the client leaves or a limit drops it.
    func serve(peer: ScriptedPeer, relay: NostrRelay) async throws {
        try await peer.upgrade()
        let core = LocalRelayConnection(relay: relay)
        let relaying = Task {
            for await text in core.fromRelay {
                let (toClient, toCore) = relayed(text)
                for t in toCore { core.send(t) }
                // A failed write means the connection is gone; the reader notices too.
                for t in toClient { try? await peer.sendText(t) }
            }
        }
        // A read or write failure means the client is gone: end the same way.
        try? await readLoop(peer, core: core)
        // Nothing more reaches the client once it left or was dropped.
        relaying.cancel()
        await core.close()
        await relaying.value
    }

    /// Handles client messages until the client leaves or a limit drops the connection.
    private func readLoop(_ peer: ScriptedPeer, core: LocalRelayConnection) async throws {
        while let incoming = try await readMessage(peer) {
            let verdict: Verdict
            switch incoming {
            case .text(let text, let bytes): verdict = inspect(text, bytes: bytes)
            case .tooLarge(let bytes):
                record.received(bytes: bytes)
                verdict = .drop(.messageTooLarge(bytes: bytes))
            }
            switch verdict {
            case .forward(let text):
                core.send(text)
            case .answer(let message, let rule):
                record.refused(.init(connection: index, rule: rule, answer: message))
                try await peer.send(message)
            case .ignore(let rule):
                record.refused(.init(connection: index, rule: rule, answer: nil))
            case .drop(let rule):
                record.refused(.init(connection: index, rule: rule, answer: nil))
                return
            }
        }
    }

    private enum Incoming {
        case text(String, bytes: Int)
        /// A message over the profile's size limit, seen from its first `bytes` bytes.
        case tooLarge(bytes: Int)
    }

    /// The next whole message (fragments joined); nil when the client closed (its close
    /// frame is answered, so its clean close does not wait for a timeout).
    private func readMessage(_ peer: ScriptedPeer) async throws -> Incoming? {
        var payload: [UInt8] = []
        while let frame = try await peer.readFrame() {
            switch frame.opcode {
            case 0x0, ScriptedPeer.opText, ScriptedPeer.opBinary:
                payload += frame.payload
                if payload.count > profile.maxMessageBytes { return .tooLarge(bytes: payload.count) }
                if frame.fin { return .text(String(decoding: payload, as: UTF8.self), bytes: payload.count) }
            case ScriptedPeer.opPing:
                try await peer.sendFrame(opcode: ScriptedPeer.opPong, payload: frame.payload)
            case ScriptedPeer.opClose:
                try? await peer.sendFrame(opcode: ScriptedPeer.opClose, payload: Array(frame.payload.prefix(2)))
                return nil
            default:
                continue
            }
        }
        return nil
    }

    // MARK: - Client messages

    /// The verdict on one client message of `bytes` bytes.
    func inspect(_ text: String, bytes: Int) -> Verdict {
        record.received(bytes: bytes)
        if bytes > profile.maxMessageBytes { return .drop(.messageTooLarge(bytes: bytes)) }
        if let limit = profile.maxMessagesPerMinute {
            let now = clock.now()
            if !lock.withLock({ messageWindow.admit(at: now, limit: limit) }) { return .drop(.messageRate) }
        }
        // Malformed messages go to the core, which answers them as a relay does.
        guard let json = try? JSONValue.parse(text), let items = json.arrayValue, let verb = items.first?.stringValue else {
            return .forward(text)
        }
        switch verb {
        case "REQ":
            return inspectRequest(text, json: json, items: items)
        case "CLOSE":
            if items.count == 2, let id = items[1].stringValue {
                lock.withLock {
                    openSubscriptions.remove(id)
                    idRequests[id] = nil
                }
            }
            return .forward(text)
        case "NEG-OPEN", "NEG-MSG", "NEG-CLOSE":
            return inspectNegentropy(verb, text: text, json: json, items: items)
        default:
            return .forward(text)
        }
    }

    private func inspectRequest(_ text: String, json: JSONValue, items: [JSONValue]) -> Verdict {
        let id = items.count > 1 ? (items[1].stringValue ?? "") : ""
        let texts = profile.texts
        if let limit = profile.maxRequestsPerMinute {
            let now = clock.now()
            if !lock.withLock({ requestWindow.admit(at: now, limit: limit) }) {
                return .answer(.closed(subscriptionID: id, message: texts.requestRateLimited), .requestRate)
            }
        }
        // strfry checks the filter count before parsing any filter.
        if let limit = profile.maxFiltersPerRequest, items.count - 2 > limit {
            return .answer(.closed(subscriptionID: id, message: texts.badRequestPrefix + texts.tooManyFilters), .tooManyFilters)
        }
        for filter in items.dropFirst(2) {
            if let (reason, rule) = filterRefusal(filter) {
                return .answer(.closed(subscriptionID: id, message: texts.badRequestPrefix + reason), rule)
            }
        }
        guard case .req(let subscriptionID, let filters)? = try? ClientMessage.decode(json) else { return .forward(text) }
        let maxResults = profile.maxResultsPerFilter
        let clamped = filters.map { f -> Filter in
            var f = f
            f.limit = min(f.limit ?? maxResults, maxResults)
            return f
        }
        let admitted: Bool = lock.withLock {
            // Re-using an open id replaces that subscription; it does not open another.
            if let limit = profile.maxOpenSubscriptions, !openSubscriptions.contains(subscriptionID),
               openSubscriptions.count >= limit {
                return false
            }
            openSubscriptions.insert(subscriptionID)
            if profile.closesAnsweredIDRequests, filters.count == 1, let ids = filters[0].ids {
                idRequests[subscriptionID] = (ids.count, 0)
            } else {
                idRequests[subscriptionID] = nil
            }
            return true
        }
        guard admitted else { return .answer(.notice(texts.tooManySubscriptionsNotice), .tooManySubscriptions) }
        return .forward(ClientMessage.req(subscriptionID: subscriptionID, filters: clamped).jsonText)
    }

    /// strfry's filter parsing limits: fields are read in key order (its JSON objects are
    /// sorted maps), each value set is sized as it is read, the tag count checked last.
    /// Returns the refusal reason and rule, or nil when the filter passes.
    private func filterRefusal(_ filter: JSONValue) -> (String, ProfiledRelayServer.Refusal.Rule)? {
        guard let members = filter.objectMembers else { return nil }
        var tagFilters = 0
        for (key, value) in members.sorted(by: { $0.0 < $1.0 }) {
            let isTag = key.hasPrefix("#") && key.count == 2
            // An empty list matches nothing and is skipped before it is counted.
            guard isTag || key == "ids" || key == "authors", let values = value.arrayValue, !values.isEmpty else { continue }
            if isTag { tagFilters += 1 }
            guard let budget = profile.maxFilterValueBytes else { continue }
            let hexDecoded = !isTag || key == "#e" || key == "#p"
            let strings = values.compactMap(\.stringValue)
            let total = hexDecoded
                ? Set(strings.map { $0.lowercased() }).count * 32
                : Set(strings).reduce(0) { $0 + $1.utf8.count }
            if total > budget {
                return ("error parsing \(key): " + profile.texts.filterValuesTooLarge, .filterValuesTooLarge(field: key))
            }
        }
        if let limit = profile.maxTagFiltersPerFilter, tagFilters > limit {
            return (profile.texts.tooManyTagFilters, .tooManyTagFilters)
        }
        return nil
    }

    private func inspectNegentropy(_ verb: String, text: String, json: JSONValue, items: [JSONValue]) -> Verdict {
        switch profile.negentropy {
        case .ignored: return .ignore(.negentropyIgnored)
        case .refusedWithNotice(let notice): return .answer(.notice(notice), .negentropyUnsupported)
        case .supported: break
        }
        guard items.count > 1, let id = items[1].stringValue else { return .forward(text) }
        let texts = profile.texts
        let badHex = Verdict.answer(.notice(texts.badNegentropyPrefix + texts.invalidNegentropyHex), .invalidNegentropyHex)
        switch verb {
        case "NEG-OPEN":
            guard items.count == 4 else { return .forward(text) }
            if let (reason, rule) = filterRefusal(items[2]) {
                return .answer(.notice(texts.badNegentropyPrefix + reason), rule)
            }
            guard let hex = items[3].stringValue, Hex.decode(hex) != nil else { return badHex }
            guard case .negOpen(_, let filter, _)? = try? ClientMessage.decode(json) else { return .forward(text) }
            if let limit = profile.maxNegentropyItems,
               case .tooMany? = try? store.idListing(for: filter, maxItems: limit, ordered: false) {
                lock.withLock { negentropySessions[id] = nil }
                let maxRecords = texts.tooManyNegentropyItemsCarriesLimit ? limit : nil
                return .answer(.negErr(subscriptionID: id, reason: texts.tooManyNegentropyItems, maxRecords: maxRecords),
                               .tooManyNegentropyItems)
            }
            lock.withLock { negentropySessions[id] = .opening }
            return .forward(text)
        case "NEG-MSG":
            guard items.count == 3, let hex = items[2].stringValue else { return .forward(text) }
            // strfry decodes the payload before it looks the session up.
            guard Hex.decode(hex) != nil else { return badHex }
            switch lock.withLock({ negentropySessions[id] }) {
            case nil:
                return .answer(.negErr(subscriptionID: id, reason: texts.unknownNegentropySession, maxRecords: nil),
                               .unknownNegentropySession)
            case .opening?:
                return .answer(.notice(texts.badNegentropyPrefix + texts.negentropyMessageBeforeOpen), .negentropyMessageBeforeOpen)
            case .open?:
                return .forward(text)
            }
        default:
            lock.withLock { negentropySessions[id] = nil }
            return .forward(text)
        }
    }

    // MARK: - Core answers

    /// Texts to send to the client and to the core for one message from the core.
    func relayed(_ text: String) -> (toClient: [String], toCore: [String]) {
        // Events need a look only while an ids REQ is being counted.
        if text.hasPrefix("[\"EVENT\",") && lock.withLock({ idRequests.isEmpty }) { return ([text], []) }
        guard let json = try? JSONValue.parse(text), let items = json.arrayValue, let verb = items.first?.stringValue,
              items.count > 1, let id = items[1].stringValue else {
            return ([text], [])
        }
        return lock.withLock {
            switch verb {
            case "EVENT":
                idRequests[id]?.seen += 1
            case "EOSE":
                if let request = idRequests.removeValue(forKey: id), request.seen == request.listed {
                    // rust-nostr: everything asked for was found, so the subscription ends here.
                    openSubscriptions.remove(id)
                    return ([text, RelayMessage.closed(subscriptionID: id, message: "").jsonText],
                            [ClientMessage.close(subscriptionID: id).jsonText])
                }
            case "CLOSED":
                openSubscriptions.remove(id)
                idRequests[id] = nil
            case "NEG-MSG":
                if negentropySessions[id] == .opening { negentropySessions[id] = .open }
            case "NEG-ERR":
                negentropySessions[id] = nil
            default:
                break
            }
            return ([text], [])
        }
    }
}
