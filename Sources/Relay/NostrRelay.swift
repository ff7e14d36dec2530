import Logging
import Nostr
import Store

/// The served relay's shared core: the store it reads, the ingestor every EVENT goes
/// through, its limits and its NIP-11 document. One instance serves all connections.
public final class NostrRelay: Sendable {
    public let store: any EventStore
    public let ingestor: EventIngestor
    public let information: RelayInformation
    public let clock: any NodeClock
    public let logger: Logger
    /// Seconds a negentropy session may sit idle before it is dropped (`closed:` afterwards).
    public let negentropyIdleTimeout: Double
    /// Wall-clock seconds between checks for idle negentropy sessions on each connection
    /// (a timer, so sessions expire on connections that send nothing).
    public let negentropyExpiryInterval: Double
    /// Items of negentropy listings all served sessions together may hold.
    public let negentropyBudget: NegentropyBudget
    /// Optional observer of protocol activity (metrics); called from connection tasks.
    public let observer: (any RelayObserver)?
    /// Write budgets and connection caps of WebSocket clients; nil enforces none (in-process
    /// relays of tests and benchmarks).
    public let admission: ClientAdmission?

    public init(ingestor: EventIngestor, information: RelayInformation = RelayInformation(), clock: any NodeClock = SystemClock(),
                negentropyIdleTimeout: Double = 300, negentropyExpiryInterval: Double = 15,
                maxNegentropyItemsTotal: Int = 4_000_000, observer: (any RelayObserver)? = nil,
                clientLimits: ClientLimits? = nil,
                logger: Logger = Logger(label: "grasp-sync.relay")) {
        self.store = ingestor.store
        self.ingestor = ingestor
        self.information = information
        self.clock = clock
        self.negentropyIdleTimeout = negentropyIdleTimeout
        self.negentropyExpiryInterval = negentropyExpiryInterval
        self.negentropyBudget = NegentropyBudget(capacity: maxNegentropyItemsTotal)
        self.observer = observer
        self.admission = clientLimits.map { ClientAdmission(limits: $0, clock: clock) }
        self.logger = logger
    }

    /// The limits connections enforce.
    public var limits: RelayLimits { information.limits }
}

/// Receives notifications of served-relay activity (implemented by the metrics stage).
public protocol RelayObserver: Sendable {
    func connectionOpened()
    func connectionClosed()
    func messageReceived(verb: String)
    func eventIngested(kind: Int, result: IngestResult)
    func negentropySessionOpened()
    func negentropySessionClosed()
    /// An EVENT was refused with `rate-limited:` by the `scope` budget (not ingested).
    func eventRateLimited(scope: RateLimitScope)
    /// A WebSocket upgrade was refused with 503 by a connection cap.
    func connectionRefused(_ reason: ConnectionRefusal)
}

extension RelayObserver {
    public func eventRateLimited(scope: RateLimitScope) {}
    public func connectionRefused(_ reason: ConnectionRefusal) {}
}
