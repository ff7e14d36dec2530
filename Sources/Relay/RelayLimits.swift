/// Per-connection limits of the served relay; advertised in NIP-11 `limitation`.
public struct RelayLimits: Sendable, Equatable {
    /// Largest client message answered normally (bytes of JSON text).
    public var maxMessageLength: Int
    /// Above this the WebSocket is closed with 1009 (message too big) without reading on.
    public var hardMessageLength: Int
    /// Open REQ subscriptions per connection.
    public var maxSubscriptions: Int
    /// Filters per REQ or COUNT.
    public var maxFilters: Int
    /// Largest `limit` honoured; also the default when a filter has none.
    public var maxLimit: Int
    /// `limit` used when a filter has none.
    public var defaultLimit: Int
    /// Longest subscription id.
    public var maxSubscriptionIDLength: Int
    /// Open NIP-77 sessions per connection.
    public var maxNegentropySessions: Int
    /// Most items a NEG-OPEN filter may match before `blocked:` (strfry's maxSyncEvents).
    public var maxNegentropyItems: Int
    /// The server side's negentropy frame size limit in bytes.
    public var negentropyFrameSizeLimit: Int
    /// Live events buffered for one connection before it is closed as too slow.
    public var maxQueuedLiveEvents: Int

    public init(maxMessageLength: Int = 512 * 1024, hardMessageLength: Int = 2 * 1024 * 1024, maxSubscriptions: Int = 50,
                maxFilters: Int = 20, maxLimit: Int = 500, defaultLimit: Int = 500, maxSubscriptionIDLength: Int = 64,
                maxNegentropySessions: Int = 8, maxNegentropyItems: Int = 1_000_000, negentropyFrameSizeLimit: Int = 500_000,
                maxQueuedLiveEvents: Int = 10_000) {
        self.maxMessageLength = maxMessageLength
        self.hardMessageLength = hardMessageLength
        self.maxSubscriptions = maxSubscriptions
        self.maxFilters = maxFilters
        self.maxLimit = maxLimit
        self.defaultLimit = defaultLimit
        self.maxSubscriptionIDLength = maxSubscriptionIDLength
        self.maxNegentropySessions = maxNegentropySessions
        self.maxNegentropyItems = maxNegentropyItems
        self.negentropyFrameSizeLimit = negentropyFrameSizeLimit
        self.maxQueuedLiveEvents = maxQueuedLiveEvents
    }
}
