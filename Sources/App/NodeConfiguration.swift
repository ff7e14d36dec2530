import Foundation
import Logging
import Nostr
import Relay

/// Everything an operator can set on a node (flags and `GRASP_SYNC_*` variables map here).
public struct NodeConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on (0 picks a free one).
    public var port: Int
    /// Directory holding the SQLite database and saved state.
    public var dataDirectory: URL
    /// Public URL(s) of this relay; announcements must list one. Default `ws://<host>:<port>`.
    public var serviceURLs: [RelayURL]
    /// Also require an http(s) clone URL on a service host in announcements.
    public var requireCloneListing: Bool
    /// GRASP-05 archive mode: accept every valid announcement.
    public var archive: Bool
    /// Log level.
    public var logLevel: Logger.Level
    /// Relays synced from at start-up whether or not an announcement lists them.
    public var bootstrapRelays: [RelayURL] = []
    /// Self-subscriber batch window in milliseconds.
    public var syncBatchWindowMilliseconds: Int = 5_000
    /// Health backoff base and cap in seconds.
    public var syncBaseBackoffSeconds: Double = 5
    public var syncMaxBackoffSeconds: Double = 3_600
    /// Never use NIP-77; always REQ/EOSE.
    public var disableNegentropy = false
    /// Never fetch remote relays' NIP-11 documents, so GRASP servers are re-synced with item
    /// filters like any relay instead of one relay-wide NIP-77 session.
    public var disableRelayWideResync = false
    /// Let sync dial loopback/private/link-local addresses (SSRF guard off).
    public var allowPrivateRelays = false
    /// Hosts that may be dialled even when private.
    public var allowedRelayHosts: Set<String> = []
    /// Most events held until the repository or event they reference arrives (0 holds none).
    public var deferredMaxEvents: Int = 10_000
    /// Most bytes of event JSON held for that.
    public var deferredMaxBytes: Int = 32 * 1024 * 1024
    /// Run the sync engine (tests of the served relay alone turn it off).
    public var syncEnabled = true
    /// Write budget per client connection: sustained EVENTs per second and burst.
    public var eventsPerSecondPerConnection: Double = 10
    public var eventBurstPerConnection: Int = 100
    /// Write budget per client IP (all its connections together).
    public var eventsPerSecondPerIP: Double = 20
    public var eventBurstPerIP: Int = 300
    /// Open WebSocket connections per client IP and in total (more get 503 at the upgrade).
    public var maxConnectionsPerIP: Int = 20
    public var maxConnections: Int = 1_000
    /// Header carrying the client IP behind a reverse proxy (nil: the socket's peer address).
    public var trustedProxyHeader: String?
    /// Bytes of values one tag list of an outgoing filter may carry (strfry's counting).
    public var maxFilterValueBytes: Int = 60_000
    /// Live REQs the consolidated live set may keep open on one relay.
    public var maxLiveSubscriptions: Int = 150
    /// Most relays the sync engine tracks at once.
    public var maxTrackedRelays: Int = 1_000
    /// Relays taken from one announcement (`relays` tag first) and from one author.
    public var maxRelaysPerAnnouncement: Int = 10
    public var maxRelaysPerAuthor: Int = 20
    /// Dials of one host per minute, whatever the number of URLs pointing at it.
    public var maxDialsPerHostPerMinute: Int = 4
    /// Connection bounds of the served endpoint: WebSocket close handshake, request-head
    /// read timeout and size, HTTP keep-alive idle time (`docs/operations.md`).
    public var serverTimeouts = RelayServerTimeouts()
    /// Longest a SIGTERM/SIGINT shutdown waits for services to finish on their own before
    /// cancelling them (then at most `shutdownCancelSeconds` more).
    public var shutdownTimeoutSeconds: Double = 10
    public var shutdownCancelSeconds: Double = 5
    /// Seconds a served negentropy session may sit idle before it is closed.
    public var negentropyIdleTimeoutSeconds: Double = 300
    /// Items of negentropy listings held by all served sessions together (node-wide).
    public var maxNegentropyItemsTotal: Int = 4_000_000

    public init(host: String = "127.0.0.1", port: Int = 7447, dataDirectory: URL = URL(fileURLWithPath: "data"),
                serviceURLs: [RelayURL] = [], requireCloneListing: Bool = false, archive: Bool = false,
                logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.serviceURLs = serviceURLs
        self.requireCloneListing = requireCloneListing
        self.archive = archive
        self.logLevel = logLevel
    }

    /// The service URLs in effect: the configured ones, or `ws://<host>:<port>`.
    public var effectiveServiceURLs: [RelayURL] {
        if !serviceURLs.isEmpty { return serviceURLs }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return RelayURL("ws://\(hostPart):\(port)").map { [$0] } ?? []
    }

    /// The SQLite database file.
    public var databasePath: String { dataDirectory.appendingPathComponent("grasp-sync.sqlite").path }

    /// Where the rejected-events index is saved between runs.
    public var rejectedIndexURL: URL { dataDirectory.appendingPathComponent("rejected-events-cache.json") }
}
