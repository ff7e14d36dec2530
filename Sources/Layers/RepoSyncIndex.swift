import Nostr

/// What the node wants to sync (decisions: Three indexes and one diff), the source of truth
/// for every relay target.
///
/// Map of repository reference to the relays its latest accepted announcement points at, the
/// root events (1617/1618/1621) that tag it, and its ``SyncLevel``.
///
/// Unlike the reference, the index is a function of the accepted events, not an append-only
/// log (decisions: The desired index shrinks, Resolve root events fully):
/// - a newer announcement for a ref **replaces** its relay set (it can shrink);
/// - a deleted announcement removes the repo;
/// - the node's own relay URLs are excluded by exact comparison of normalised URLs
///   (decisions: Never dial yourself);
/// - root events resolve against **every** `a` tag, and a root event that names a repo the
///   index does not hold (yet) is parked and attached when the announcement arrives, so the
///   result does not depend on arrival order.
public struct RepoSyncIndex: Sendable, Equatable {
    /// One repository's desired sync state.
    public struct Entry: Sendable, Equatable {
        /// Relays from the repo's latest announcement (`relays` tags plus http(s) clone URLs),
        /// normalised, without the node's own URLs.
        public var relays: Set<RelayURL>
        /// Ids of accepted root events (1617/1618/1621) that tag this repo with `a`.
        public var rootEvents: Set<String>
        /// Which filters the repo gets.
        public var level: SyncLevel

        public init(relays: Set<RelayURL> = [], rootEvents: Set<String> = [], level: SyncLevel = .full) {
            self.relays = relays
            self.rootEvents = rootEvents
            self.level = level
        }
    }

    /// The announcement version an entry was built from (NIP-01 replaceable ordering).
    struct AnnouncementVersion: Sendable, Equatable {
        var id: String
        var createdAt: Int64

        /// Whether an event with `createdAt`/`id` supersedes this version: newer, or as old
        /// with a lower id (NIP-01 tie-break).
        func isSuperseded(byCreatedAt other: Int64, id otherID: String) -> Bool {
            other > createdAt || (other == createdAt && otherID < id)
        }
    }

    /// The desired state, keyed by repository reference.
    public private(set) var repos: [RepoRef: Entry]
    /// Root events that tag repos the index does not hold; attached when the repo is announced.
    public private(set) var unresolvedRootEvents: [RepoRef: Set<String>]
    /// Which announcement each entry was built from.
    var versions: [RepoRef: AnnouncementVersion]
    /// Reverse map: current announcement event id -> ref (for kind-5 `e` deletions).
    var announcementRefs: [String: RepoRef]
    /// How many relays announcements contribute (per announcement, per author).
    public var relayLimits: AnnouncementRelayLimits
    /// The held repos of each author: the per-author relay limit looks at an author's other
    /// repos without scanning every repo (which made loading N announcements cost N²).
    var refsByAuthor: [String: Set<RepoRef>] = [:]
    /// ``relayTargets``, maintained by every mutation of ``repos`` (through
    /// ``retarget(_:from:to:addedRoots:)`` or, for one attached root, directly). Internal, not
    /// `private(set)`, because the extension in RepoSyncIndex+Targets.swift updates it.
    var targets: RelayTargets

    /// An empty index.
    public init(relayLimits: AnnouncementRelayLimits = AnnouncementRelayLimits()) {
        repos = [:]
        unresolvedRootEvents = [:]
        versions = [:]
        announcementRefs = [:]
        self.relayLimits = relayLimits
        targets = RelayTargets()
    }

    /// Whether the index holds no repository.
    public var isEmpty: Bool { repos.isEmpty }

    /// The id of the announcement a repo's entry was built from.
    public func announcementID(for ref: RepoRef) -> String? { versions[ref]?.id }

    /// Applies an accepted repository announcement (kind 30617).
    ///
    /// The entry's relays become ``NIP34/syncRelays(of:)`` minus `ownURLs` (exact comparison of
    /// normalised URLs; decisions: Never dial yourself), capped by ``relayLimits``
    /// (``AnnouncementRelaySelection``),
    /// and its level `.full`. A newer announcement for the same ref
    /// **replaces** the relay set, so it can shrink (decisions: The desired index shrinks); an
    /// older or identical one (NIP-01
    /// replaceable ordering: `created_at`, then lowest id) is ignored. Root events parked for
    /// the ref are attached. Events of other kinds and announcements with an invalid `d`
    /// (``NIP34/isValidIdentifier(_:)``) are ignored.
    ///
    /// - Returns: true when the entry (relays, root events or level) changed.
    @discardableResult
    public mutating func apply(announcement: NostrEvent, ownURLs: Set<RelayURL>) -> Bool {
        guard announcement.kind == NIP34.repoAnnouncement,
              let ref = RepoRef(event: announcement),
              NIP34.isValidIdentifier(ref.identifier) else { return false }
        if let current = versions[ref] {
            guard current.isSuperseded(byCreatedAt: announcement.createdAt, id: announcement.id) else { return false }
            announcementRefs[current.id] = nil
        }
        versions[ref] = AnnouncementVersion(id: announcement.id, createdAt: announcement.createdAt)
        announcementRefs[announcement.id] = ref

        let old = repos[ref]
        let relays = Set(AnnouncementRelaySelection.select(
            NIP34.syncRelays(of: announcement), ownURLs: ownURLs,
            authorRelaysElsewhere: relayLimits.maxPerAuthor == .max ? [] : relays(ofAuthor: ref.pubkey, except: ref),
            limits: relayLimits))
        var entry = old ?? Entry()
        entry.relays = relays
        entry.level = .full
        var addedRoots: Set<String> = []
        if let parked = unresolvedRootEvents.removeValue(forKey: ref) {
            // A held repo has nothing parked; the subtraction keeps `retarget`'s contract anyway.
            addedRoots = old.map { parked.subtracting($0.rootEvents) } ?? parked
            entry.rootEvents.formUnion(parked)
        }
        repos[ref] = entry
        if old == nil { refsByAuthor[ref.pubkey, default: []].insert(ref) }
        retarget(ref, from: old, to: entry, addedRoots: addedRoots)
        return old != entry
    }

    /// Relays the author's other repositories use.
    func relays(ofAuthor pubkey: String, except ref: RepoRef) -> Set<RelayURL> {
        var out = Set<RelayURL>()
        for other in refsByAuthor[pubkey] ?? [] where other != ref {
            if let entry = repos[other] { out.formUnion(entry.relays) }
        }
        return out
    }

    /// Removes a repository (its announcement was deleted; decisions: The desired index shrinks).
    ///
    /// Its root events are parked, so a later, newer announcement of the same ref gets them back.
    ///
    /// - Returns: true when the repo was in the index.
    @discardableResult
    public mutating func remove(_ ref: RepoRef) -> Bool {
        if let version = versions.removeValue(forKey: ref) {
            announcementRefs[version.id] = nil
        }
        guard let entry = repos.removeValue(forKey: ref) else { return false }
        refsByAuthor[ref.pubkey]?.remove(ref)
        if refsByAuthor[ref.pubkey]?.isEmpty == true { refsByAuthor[ref.pubkey] = nil }
        retarget(ref, from: entry, to: nil)
        if !entry.rootEvents.isEmpty {
            unresolvedRootEvents[ref, default: []].formUnion(entry.rootEvents)
        }
        return true
    }

    /// Attaches a root event (1617/1618/1621) to every repo it tags with `a` (all `a` tags;
    /// decisions: Resolve root events fully).
    ///
    /// Refs the index does not hold park the id until their announcement is applied.
    ///
    /// - Returns: the refs (held by the index) the event is now attached to, sorted.
    @discardableResult
    public mutating func attach(rootEvent id: String, to refs: [RepoRef]) -> [RepoRef] {
        var attached: [RepoRef] = []
        for ref in Set(refs).sorted() {
            if repos[ref] != nil {
                // Straight to the targets: holding a copy of the entry for `retarget` would
                // copy the repo's whole root set on the insert.
                if repos[ref]!.rootEvents.insert(id).inserted, repos[ref]!.level == .full {
                    for relay in repos[ref]!.relays { targets.insertRoot(id, on: relay) }
                }
                attached.append(ref)
            } else {
                unresolvedRootEvents[ref, default: []].insert(id)
            }
        }
        return attached
    }

    /// Sets a held repo's sync level (for example `.stateOnly` for an announcement an operator
    /// marks as pending). Does nothing for a ref the index does not hold.
    public mutating func setLevel(_ level: SyncLevel, for ref: RepoRef) {
        guard let old = repos[ref], old.level != level else { return }
        repos[ref]!.level = level
        retarget(ref, from: old, to: repos[ref])
    }
}
