import Nostr

/// Operator settings of the NIP-34 acceptance policy.
public struct AcceptancePolicyConfiguration: Sendable {
    /// This node's public relay URL(s); an announcement must list one in `relays`.
    public var serviceURLs: [RelayURL]
    /// Also require an http(s) `clone` URL on one of the service hosts (GRASP-01 strictness).
    public var requireCloneListing: Bool
    /// GRASP-05 archive mode: accept every structurally valid announcement.
    public var archiveAll: Bool
    /// Authors whose events are refused outright (hex pubkeys).
    public var blockedAuthors: Set<String>
    /// Largest number of tags an event may carry.
    public var maxTags: Int
    /// Largest `content` in bytes.
    public var maxContentBytes: Int
    /// How far in the future `created_at` may be, in seconds.
    public var maxFutureSeconds: Int64

    public init(serviceURLs: [RelayURL], requireCloneListing: Bool = false, archiveAll: Bool = false,
                blockedAuthors: Set<String> = [], maxTags: Int = 2_500, maxContentBytes: Int = 512 * 1024,
                maxFutureSeconds: Int64 = 900) {
        self.serviceURLs = serviceURLs
        self.requireCloneListing = requireCloneListing
        self.archiveAll = archiveAll
        self.blockedAuthors = blockedAuthors
        self.maxTags = maxTags
        self.maxContentBytes = maxContentBytes
        self.maxFutureSeconds = maxFutureSeconds
    }
}
