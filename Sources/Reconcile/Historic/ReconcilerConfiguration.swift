/// The tunables of historic sync against one relay.
public struct ReconcilerConfiguration: Sendable, Equatable {
    /// Never use NIP-77 (REQ/EOSE only).
    public var disableNegentropy: Bool
    /// Seconds without a reply before a request counts as unanswered.
    public var requestTimeout: Double
    /// Client negentropy frame size limit.
    public var negentropyFrameSizeLimit: Int
    /// Ids per fetch REQ.
    public var idFetchChunk: Int
    /// Fetch REQs of one reconciliation in flight at once.
    public var idFetchConcurrency: Int
    /// Extra attempts for ids a fetch did not deliver.
    public var idFetchRetries: Int
    /// Events per REQ/EOSE page.
    public var pageLimit: Int
    /// Filters of one batch synced side by side (NIP-77 only).
    public var batchFilterConcurrency: Int
    /// NIP-77 sessions open on the relay at once.
    public var negentropySessions: Int
    /// Historic REQs (id fetches, pages) open on the relay at once.
    public var historicRequests: Int

    public init(disableNegentropy: Bool = false, requestTimeout: Double = 60, negentropyFrameSizeLimit: Int = 60_000,
                idFetchChunk: Int = 300, idFetchConcurrency: Int = 4, idFetchRetries: Int = 2, pageLimit: Int = 500,
                batchFilterConcurrency: Int = 4, negentropySessions: Int = 4, historicRequests: Int = 8) {
        self.disableNegentropy = disableNegentropy
        self.requestTimeout = requestTimeout
        self.negentropyFrameSizeLimit = negentropyFrameSizeLimit
        self.idFetchChunk = idFetchChunk
        self.idFetchConcurrency = idFetchConcurrency
        self.idFetchRetries = idFetchRetries
        self.pageLimit = pageLimit
        self.batchFilterConcurrency = batchFilterConcurrency
        self.negentropySessions = negentropySessions
        self.historicRequests = historicRequests
    }
}
