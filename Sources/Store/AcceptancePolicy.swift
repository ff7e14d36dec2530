import Nostr

/// The NIP-34 acceptance policy (decisions: Acceptance policy without git hosting): what this
/// relay stores, whether an event arrives from a client or from sync.
public struct AcceptancePolicy: Sendable {
    public var configuration: AcceptancePolicyConfiguration

    public init(configuration: AcceptancePolicyConfiguration) {
        self.configuration = configuration
    }

    /// Decides whether `event` (already verified) belongs on this relay. Store errors
    /// propagate: the caller refuses the event (fail-secure).
    public func evaluate(_ event: NostrEvent, store: some EventStore, now: Int64) throws(StoreError) -> PolicyDecision {
        if configuration.blockedAuthors.contains(event.pubkey) { return .reject(.blockedAuthor) }
        if event.tags.count > configuration.maxTags { return .reject(.tooManyTags(limit: configuration.maxTags)) }
        if event.content.utf8.count > configuration.maxContentBytes { return .reject(.contentTooLarge(limit: configuration.maxContentBytes)) }
        if event.createdAt > now + configuration.maxFutureSeconds { return .reject(.createdAtInFuture(limit: configuration.maxFutureSeconds)) }
        switch event.kind {
        case NIP34.repoAnnouncement: return try evaluateAnnouncement(event, store: store)
        case NIP34.repoState: return try evaluateState(event, store: store)
        case NIP34.userGraspList, NIP34.deletion: return .accept
        default: return try evaluateRelated(event, store: store)
        }
    }

    // MARK: 30617

    /// Structural problems of an announcement, if any.
    public static func announcementProblem(_ event: NostrEvent) -> String? {
        guard let d = event.firstTagValue("d") else { return "missing 'd' tag" }
        guard NIP34.isValidIdentifier(d) else { return "invalid identifier" }
        if event.tags(named: "clone").count > 1 { return "more than one 'clone' tag" }
        return nil
    }

    /// Whether the announcement lists one of this node's service URLs.
    public func listsService(_ event: NostrEvent) -> Bool {
        let services = Set(configuration.serviceURLs)
        guard NIP34.relays(of: event).contains(where: services.contains) else { return false }
        if configuration.requireCloneListing {
            let serviceHosts = Set(configuration.serviceURLs.map { "\($0.host):\($0.port.map(String.init) ?? "")" })
            let cloneHosts = NIP34.cloneURLs(of: event).compactMap(RelayURL.fromCloneURL).map { "\($0.host):\($0.port.map(String.init) ?? "")" }
            guard cloneHosts.contains(where: serviceHosts.contains) else { return false }
        }
        return true
    }

    private func evaluateAnnouncement(_ event: NostrEvent, store: some EventStore) throws(StoreError) -> PolicyDecision {
        if let problem = Self.announcementProblem(event) { return .reject(.malformedAnnouncement(problem)) }
        if listsService(event) || configuration.archiveAll { return .accept }
        // Maintainer exception: the owner, or a listed maintainer, of any stored announcement
        // with this identifier may announce without listing us, as in the reference.
        for other in try store.announcements(identifier: event.dTag) {
            if other.pubkey == event.pubkey || NIP34.maintainers(of: other).contains(event.pubkey) { return .accept }
        }
        return .reject(.doesNotListService)
    }

    // MARK: 30618

    private func evaluateState(_ event: NostrEvent, store: some EventStore) throws(StoreError) -> PolicyDecision {
        guard let d = event.firstTagValue("d") else { return .reject(.malformedState) }
        let announcements = try store.announcements(identifier: d)
        if announcements.isEmpty { return .reject(.noAnnouncement) }
        let maintainersByOwner = Dictionary(announcements.map { ($0.pubkey, NIP34.maintainers(of: $0)) }, uniquingKeysWith: { a, _ in a })
        for owner in maintainersByOwner.keys where Self.recursiveMaintainers(of: owner, in: maintainersByOwner).contains(event.pubkey) {
            return .accept
        }
        return .reject(.notAuthorized)
    }

    /// The owner plus, transitively, every maintainer listed by a visited pubkey's own
    /// announcement of the same identifier (cycle-safe).
    public static func recursiveMaintainers(of owner: String, in maintainersByAuthor: [String: [String]]) -> Set<String> {
        var visited: Set<String> = [owner]
        var queue = [owner]
        while let next = queue.popLast() {
            for m in maintainersByAuthor[next] ?? [] where visited.insert(m).inserted { queue.append(m) }
        }
        return visited
    }

    // MARK: Related events

    private func evaluateRelated(_ event: NostrEvent, store: some EventStore) throws(StoreError) -> PolicyDecision {
        // 1. Backward reference to a stored addressable event via a/A/q coordinates.
        for tag in event.tags where tag.count > 1 && (tag[0] == "a" || tag[0] == "A" || tag[0] == "q") && tag[1].contains(":") {
            if let ref = RepoRef(tag[1]), try store.containsAddressable(kind: ref.kind, pubkey: ref.pubkey, identifier: ref.identifier) {
                return .accept
            }
        }
        // 2. Backward reference to a stored event via e/E, or q without ':'.
        for tag in event.tags where tag.count > 1 && (tag[0] == "e" || tag[0] == "E" || (tag[0] == "q" && !tag[1].contains(":"))) {
            if Hex.isLowercaseHex(tag[1], byteCount: 32), try store.contains(eventID: tag[1]) { return .accept }
        }
        // 3. Forward reference: some stored event already points at this one.
        switch event.kindClass {
        case .replaceable:
            if try store.isReferenced(tagNames: ["a", "A", "q"], values: ["\(event.kind):\(event.pubkey)", "\(event.kind):\(event.pubkey):"]) { return .accept }
        case .addressable:
            if try store.isReferenced(tagNames: ["a", "A", "q"], values: ["\(event.kind):\(event.pubkey):\(event.dTag)"]) { return .accept }
        default:
            if try store.isReferenced(tagNames: ["e", "E", "q"], values: [event.id]) { return .accept }
        }
        return .reject(.unrelated(kind: event.kind))
    }
}
