import Foundation
import Nostr
import Relay
import Transport

/// WebSocket throughput over loopback between the node's own relay server (`RelayServer`,
/// through ``ServedRelay/serve(_:_:)``) and the node's client transport
/// (`WebSocketRelayTransport`, the one the sync engine dials remote relays with). The
/// client's figures include decoding every message into a `RelayMessage`.
///
/// - receive: one connection, one REQ matching every stored event (the relay's `max_limit`
///   raised to the store's size), timed from sending the REQ to its EOSE: EVENT messages/s
///   as the sync engine's historic batches receive them; with permessage-deflate (the
///   node's default, negotiated with its own server) and without.
/// - send: one connection sending new events (signed beforehand) without waiting, while
///   the replies are read; timed from the first EVENT to the last OK: EVENT+OK/s, which
///   includes the relay's verification, policy and SQLite store of each event.
///
/// Run by `ReadLoadWorker transport` (see GraspBench/TransportStageBenchmarks.swift).
public enum TransportThroughput {
    /// What one run came to (printed by the worker as one JSON line).
    public struct Result: Codable, Sendable {
        /// Stored events one receive round gets (the whole store).
        public var receivedPerRound: Int
        /// Events one send round sends.
        public var sentPerRound: Int
        /// EVENT messages/s of each receive round, permessage-deflate negotiated.
        public var receiveDeflatePerSecond: [Double]
        /// The extensions the deflate rounds negotiated (expected: permessage-deflate).
        public var deflateExtensions: [String]
        /// EVENT messages/s of each receive round without compression.
        public var receivePlainPerSecond: [Double]
        /// EVENT+OK/s of each send round (default configuration: deflate offered).
        public var sendPerSecond: [Double]
    }

    public enum Failure: Error, CustomStringConvertible {
        case unexpected(String)
        public var description: String {
            switch self {
            case .unexpected(let text): return text
            }
        }
    }

    /// Stores `stored` corpus events (`IngestCorpus`, 100 repositories) in `directory`,
    /// serves them, and runs `rounds` rounds of each measurement, each on a new connection.
    public static func run(stored: Int, sent: Int, rounds: Int, directory: URL) async throws -> Result {
        let repos = 100
        let peer = try SyncRun.makePeer(IngestCorpus.make(count: stored, repos: repos), directory: directory)
        let relay = NostrRelay(ingestor: peer.ingestor,
                               information: RelayInformation(limits: RelayLimits(maxLimit: stored)),
                               logger: ServedRelay.quietLogger("bench.relay"))
        // Signed before anything is timed: new issues on the corpus's repositories.
        var factory = CorpusEventFactory(label: "transport", repos: repos)
        let outgoing = (0..<rounds).map { _ in (0..<sent).map { _ in factory.issue() } }

        return try await ServedRelay.serve(relay) { address in
            guard let url = RelayURL(address) else { throw Failure.unexpected("bad URL \(address)") }
            let deflate = WebSocketRelayTransport(configuration: .init(addressPolicy: AddressPolicy(allowPrivate: true)),
                                                  logger: ServedRelay.quietLogger("bench.transport"))
            let plain = WebSocketRelayTransport(configuration: .init(compression: false, addressPolicy: AddressPolicy(allowPrivate: true)),
                                                logger: ServedRelay.quietLogger("bench.transport"))
            var result = Result(receivedPerRound: stored, sentPerRound: sent, receiveDeflatePerSecond: [], deflateExtensions: [],
                                receivePlainPerSecond: [], sendPerSecond: [])
            for round in 0..<rounds {
                let (rate, extensions) = try await receive(from: url, transport: deflate, expected: stored, subscription: "d\(round)")
                result.receiveDeflatePerSecond.append(rate)
                result.deflateExtensions = extensions
            }
            for round in 0..<rounds {
                result.receivePlainPerSecond.append(try await receive(from: url, transport: plain, expected: stored, subscription: "p\(round)").0)
            }
            for events in outgoing {
                result.sendPerSecond.append(try await send(events, to: url, transport: deflate))
            }
            return result
        }
    }

    /// One REQ for everything on a new connection, read to its EOSE: EVENT messages/s and
    /// the negotiated extensions.
    static func receive(from url: RelayURL, transport: WebSocketRelayTransport, expected: Int,
                        subscription: String) async throws -> (Double, [String]) {
        let session = try await transport.connectWebSocket(to: url)
        let clock = ContinuousClock()
        let started = clock.now
        try await session.send(.req(subscriptionID: subscription, filters: [Filter(limit: expected)]))
        var events = 0
        reading: for await message in session.messages {
            switch message {
            case .event(let id, _) where id == subscription: events += 1
            case .eose(let id) where id == subscription: break reading
            default: throw Failure.unexpected("unexpected message \(message.jsonText.prefix(200))")
            }
        }
        let elapsed = clock.now - started
        let extensions = session.negotiatedExtensions
        await session.close()
        guard events == expected else { throw Failure.unexpected("received \(events) of \(expected) events") }
        return (Double(events) / elapsed.inSeconds, extensions)
    }

    /// Sends `events` on a new connection without waiting for replies while a second task
    /// reads the OKs: EVENT+OK/s from the first send to the last OK.
    static func send(_ events: [NostrEvent], to url: RelayURL, transport: WebSocketRelayTransport) async throws -> Double {
        let session = try await transport.connectWebSocket(to: url)
        let clock = ContinuousClock()
        let started = clock.now
        let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for event in events { try await session.send(.event(event)) }
                return 0
            }
            group.addTask {
                var accepted = 0
                var replies = 0
                for await message in session.messages {
                    guard case .ok(_, let ok, let text) = message else {
                        throw Failure.unexpected("unexpected message \(message.jsonText.prefix(200))")
                    }
                    guard ok else { throw Failure.unexpected("EVENT refused: \(text)") }
                    accepted += 1
                    replies += 1
                    if replies == events.count { break }
                }
                return accepted
            }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        let elapsed = clock.now - started
        await session.close()
        guard accepted == events.count else { throw Failure.unexpected("\(accepted) of \(events.count) events accepted") }
        return Double(accepted) / elapsed.inSeconds
    }
}
