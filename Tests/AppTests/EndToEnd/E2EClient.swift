import Foundation
import Nostr
import Transport

/// A tiny Nostr client over the project's WebSocket transport, for publishing to and
/// reading from the processes under test. Requests are sequential (one at a time).
actor E2EClient {
    let url: String
    private let session: WebSocketRelaySession
    private var counter = 0

    private init(url: String, session: WebSocketRelaySession) {
        self.url = url
        self.session = session
    }

    static func connect(_ url: String) async throws -> E2EClient {
        guard let relayURL = RelayURL(url) else { throw E2EError.setup("bad relay URL \(url)") }
        let transport = WebSocketRelayTransport(configuration: .init(
            maxOutboundMessageBytes: 4 * 1024 * 1024, addressPolicy: .init(allowPrivate: true)))
        do {
            return E2EClient(url: url, session: try await transport.connectWebSocket(to: relayURL))
        } catch {
            throw E2EError.protocolError("cannot connect to \(url): \(error)")
        }
    }

    /// Connects, runs `body`, closes (also when `body` throws).
    static func with<T: Sendable>(_ url: String, _ body: (E2EClient) async throws -> T) async throws -> T {
        let client = try await connect(url)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    func close() async { await session.close() }

    private func nextID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }

    /// The next inbound message; `deadline` is only a hang guard.
    func next(deadline: Double = 20) async throws -> RelayMessage {
        let stream = session.messages
        let url = self.url
        return try await withThrowingTaskGroup(of: RelayMessage?.self) { group in
            group.addTask {
                var it = stream.makeAsyncIterator()
                return await it.next()
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(deadline * 1_000_000_000))
                throw E2EError.timedOut("no message from \(url) within \(deadline) s")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let message = first else {
                throw E2EError.protocolError("connection to \(url) closed")
            }
            return message
        }
    }

    /// Publishes `event`; returns the relay's OK.
    func publish(_ event: NostrEvent) async throws -> (accepted: Bool, message: String) {
        try await session.send(.event(event))
        while true {
            if case .ok(let id, let accepted, let message) = try await next(), id == event.id { return (accepted, message) }
        }
    }

    /// Publishes every event in order, failing on the first the relay refuses.
    func publishAccepted(_ events: [NostrEvent]) async throws {
        for event in events {
            let reply = try await publish(event)
            guard reply.accepted else {
                throw E2EError.protocolError("\(url) refused kind \(event.kind) \(event.id): \(reply.message)")
            }
        }
    }

    /// Stored events matching `filters` (until EOSE; the subscription is then closed).
    func query(_ filters: [Filter]) async throws -> [NostrEvent] {
        let id = nextID("q")
        try await session.send(.req(subscriptionID: id, filters: filters))
        var out: [NostrEvent] = []
        while true {
            switch try await next() {
            case .event(let sub, let event) where sub == id: out.append(event)
            case .eose(let sub) where sub == id:
                try? await session.send(.close(subscriptionID: id))
                return out
            case .closed(let sub, let reason) where sub == id:
                throw E2EError.protocolError("\(url) closed query \(id): \(reason)")
            default: continue
            }
        }
    }

    /// The ids among `ids` that the relay does not have (queried in chunks).
    func missing(_ ids: [String]) async throws -> [String] {
        var found = Set<String>()
        for start in stride(from: 0, to: ids.count, by: 250) {
            let chunk = Array(ids[start..<min(start + 250, ids.count)])
            for event in try await query([Filter(ids: chunk, limit: chunk.count)]) { found.insert(event.id) }
        }
        return ids.filter { !found.contains($0) }
    }

    /// Opens a subscription that stays open after EOSE; returns its id and the stored matches.
    func subscribe(_ filters: [Filter]) async throws -> (id: String, stored: [NostrEvent]) {
        let id = nextID("live")
        try await session.send(.req(subscriptionID: id, filters: filters))
        var stored: [NostrEvent] = []
        while true {
            switch try await next() {
            case .event(let sub, let event) where sub == id: stored.append(event)
            case .eose(let sub) where sub == id: return (id, stored)
            case .closed(let sub, let reason) where sub == id:
                throw E2EError.protocolError("\(url) closed subscription \(id): \(reason)")
            default: continue
            }
        }
    }

    /// Waits for the next event on subscription `id` (`deadline` is a hang guard).
    func nextEvent(on id: String, deadline: Double) async throws -> NostrEvent {
        let end = Date().addingTimeInterval(deadline)
        while true {
            let left = end.timeIntervalSinceNow
            guard left > 0 else { throw E2EError.timedOut("no event on \(id) from \(url) within \(deadline) s") }
            switch try await next(deadline: left) {
            case .event(let sub, let event) where sub == id: return event
            case .closed(let sub, let reason) where sub == id:
                throw E2EError.protocolError("\(url) closed subscription \(id): \(reason)")
            default: continue
            }
        }
    }
}
