import Nostr

/// The NIP-11 relay information document.
public struct RelayInformation: Sendable {
    public var name: String
    public var description: String
    public var software: String
    public var version: String
    public var supportedNIPs: [Int]
    public var supportedGRASPs: [String]
    public var repoAcceptanceCriteria: String
    public var limits: RelayLimits
    public var maxEventTags: Int
    public var maxContentLength: Int
    public var createdAtUpperLimit: Int64

    public init(name: String = "grasp-sync", description: String = "NIP-34 git collaboration relay with GRASP-02 proactive sync",
                software: String = "https://github.com/grasp-sync/grasp-sync", version: String = GraspSyncVersion.current,
                supportedNIPs: [Int] = [1, 9, 11, 34, 45, 77], supportedGRASPs: [String] = ["GRASP-02"],
                repoAcceptanceCriteria: String = "Repository announcements must list this relay in their 'relays' tag; other events must reference an accepted repository or accepted event, or be referenced by one",
                limits: RelayLimits = RelayLimits(), maxEventTags: Int = 2_500, maxContentLength: Int = 512 * 1024,
                createdAtUpperLimit: Int64 = 900) {
        self.name = name
        self.description = description
        self.software = software
        self.version = version
        self.supportedNIPs = supportedNIPs
        self.supportedGRASPs = supportedGRASPs
        self.repoAcceptanceCriteria = repoAcceptanceCriteria
        self.limits = limits
        self.maxEventTags = maxEventTags
        self.maxContentLength = maxContentLength
        self.createdAtUpperLimit = createdAtUpperLimit
    }

    /// The document as JSON text.
    public var jsonText: String {
        let limitation: JSONValue = .object([
            ("max_message_length", .integer(Int64(limits.maxMessageLength))),
            ("max_subscriptions", .integer(Int64(limits.maxSubscriptions))),
            ("max_filters", .integer(Int64(limits.maxFilters))),
            ("max_limit", .integer(Int64(limits.maxLimit))),
            ("default_limit", .integer(Int64(limits.defaultLimit))),
            ("max_subid_length", .integer(Int64(limits.maxSubscriptionIDLength))),
            ("max_event_tags", .integer(Int64(maxEventTags))),
            ("max_content_length", .integer(Int64(maxContentLength))),
            ("created_at_upper_limit", .integer(createdAtUpperLimit)),
            ("auth_required", .bool(false)),
            ("payment_required", .bool(false)),
            ("restricted_writes", .bool(true)),
        ])
        return JSONValue.object([
            ("name", .string(name)),
            ("description", .string(description)),
            ("software", .string(software)),
            ("version", .string(version)),
            ("supported_nips", .array(supportedNIPs.map { .integer(Int64($0)) })),
            ("supported_grasps", .array(supportedGRASPs.map { .string($0) })),
            ("repo_acceptance_criteria", .string(repoAcceptanceCriteria)),
            ("negentropy", .integer(1)),
            ("limitation", limitation),
        ]).jsonText
    }
}

/// The node's version string.
public enum GraspSyncVersion {
    public static let current = "0.1.0"
}
