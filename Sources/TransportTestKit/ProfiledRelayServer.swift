import Foundation
import Logging
import Nostr
import Relay
import Store

/// A relay double on 127.0.0.1 that behaves like a deployed relay program: it enforces a
/// `PeerProfile` (size, rate, filter and subscription limits, NIP-77 support) with that
/// program's exact refusal texts, and otherwise answers as a real relay.
///
/// The socket is a `ScriptedWebSocketServer` (so a limit can drop the TCP connection without
/// a close frame, as strfry and rust-nostr do); the answering engine is our own relay core
/// (`NostrRelay` over an in-memory store, archive-all acceptance, limits wide enough that
/// only the profile's bite), reached per connection through a `LocalRelayConnection`.
/// Each client message is checked against the profile, then refused or forwarded.
public final class ProfiledRelayServer: Sendable {
    /// One refusal: which rule, on which connection, and what was sent.
    public struct Refusal: Sendable, Equatable {
        /// The limit that refused a message.
        public enum Rule: Sendable, Equatable {
            /// A message of `bytes` bytes over `maxMessageBytes` (connection dropped).
            case messageTooLarge(bytes: Int)
            /// Over `maxMessagesPerMinute` (connection dropped).
            case messageRate
            /// Over `maxRequestsPerMinute`.
            case requestRate
            case tooManyFilters
            case tooManyTagFilters
            /// The values of `field` (`ids`, `authors`, `#x`) over `maxFilterValueBytes`.
            case filterValuesTooLarge(field: String)
            case tooManySubscriptions
            case tooManyNegentropyItems
            case unknownNegentropySession
            case negentropyMessageBeforeOpen
            case invalidNegentropyHex
            /// NIP-77 refused with a NOTICE.
            case negentropyUnsupported
            /// NIP-77 message read and left unanswered.
            case negentropyIgnored
        }

        /// 0-based number of the connection.
        public let connection: Int
        public let rule: Rule
        /// The message sent; nil when the connection was dropped or nothing was answered.
        public let answer: RelayMessage?

        public init(connection: Int, rule: Rule, answer: RelayMessage?) {
            self.connection = connection
            self.rule = rule
            self.answer = answer
        }
    }

    /// The profile enforced.
    public let profile: PeerProfile
    /// The relay core that stores and answers.
    public let relay: NostrRelay
    /// Its in-memory store.
    public let store: SQLiteEventStore
    private let socket: ScriptedWebSocketServer
    private let record: ProfiledRelayRecord

    private init(profile: PeerProfile, relay: NostrRelay, store: SQLiteEventStore, socket: ScriptedWebSocketServer,
                 record: ProfiledRelayRecord) {
        self.profile = profile
        self.relay = relay
        self.store = store
        self.socket = socket
        self.record = record
    }

    /// The listening port on 127.0.0.1.
    public var port: Int { socket.port }
    /// `ws://127.0.0.1:PORT`.
    public var url: RelayURL { socket.url }
    /// Connections accepted so far.
    public var connectionCount: Int { socket.connectionCount }
    /// Every refusal so far, in order.
    public var refusals: [Refusal] { record.allRefusals }
    /// Client messages received so far (all connections, refused ones included).
    public var messagesReceived: Int { record.messageCount }
    /// Bytes of client messages received so far (payload bytes).
    public var bytesReceived: Int { record.byteCount }

    /// Relay-core limits wide enough that only the profile's limits bite.
    static func coreLimits(for profile: PeerProfile) -> RelayLimits {
        RelayLimits(maxMessageLength: 64 * 1024 * 1024, hardMessageLength: 64 * 1024 * 1024, maxSubscriptions: 100_000,
                    maxFilters: 100_000, maxLimit: profile.maxResultsPerFilter, defaultLimit: profile.maxResultsPerFilter,
                    maxNegentropySessions: 100_000, maxNegentropyItems: 100_000_000,
                    negentropyFrameSizeLimit: profile.negentropyFrameSizeLimit, maxQueuedLiveEvents: 100_000)
    }

    /// Starts a server enforcing `profile` on a free port of 127.0.0.1.
    ///
    /// - Parameters:
    ///   - clock: drives the per-minute rate windows (a `ManualClock` lets a test move them);
    ///     the relay core itself runs on the system clock, so event timestamps are judged
    ///     against real time.
    ///   - serviceURL: the service URL of the acceptance policy (archive-all accepts any
    ///     valid announcement anyway).
    public static func start(profile: PeerProfile, clock: any NodeClock = SystemClock(),
                             serviceURL: RelayURL = InProcessRelayServer.serviceURL) async throws -> ProfiledRelayServer {
        let (relay, store) = try InProcessRelayServer.makeRelay(
            limits: coreLimits(for: profile),
            policy: AcceptancePolicyConfiguration(serviceURLs: [serviceURL], archiveAll: true),
            logger: Logger(label: "test.profiled-relay.\(profile.name)"))
        let record = ProfiledRelayRecord()
        let socket = try await ScriptedWebSocketServer.start { peer, index in
            let connection = ProfiledRelayConnection(index: index, profile: profile, clock: clock, store: store, record: record)
            try await connection.serve(peer: peer, relay: relay)
        }
        return ProfiledRelayServer(profile: profile, relay: relay, store: store, socket: socket, record: record)
    }

    /// Starts a server, runs `body`, and stops the server (also when `body` throws).
    public static func with<T: Sendable>(
        profile: PeerProfile, clock: any NodeClock = SystemClock(),
        _ body: @Sendable (ProfiledRelayServer) async throws -> T
    ) async throws -> T {
        let server = try await start(profile: profile, clock: clock)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Stores events directly through the relay core's ingestor (batch-verified, one
    /// transaction), bypassing the profile; returns each event's result.
    @discardableResult
    public func ingest(_ events: [NostrEvent]) -> [IngestResult] {
        relay.ingestor.ingest(batch: events)
    }

    /// Stops listening and ends every connection.
    public func stop() async {
        await socket.stop()
    }
}
