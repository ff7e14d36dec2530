/// NIP-34 (git collaboration) kinds and tag helpers.
public enum NIP34 {
    public static let repoAnnouncement = 30617
    public static let repoState = 30618
    public static let patch = 1617
    public static let pullRequest = 1618
    public static let pullRequestUpdate = 1619
    public static let issue = 1621
    public static let comment = 1111
    public static let statusKinds = 1630...1633
    public static let userGraspList = 10317
    public static let deletion = 5
    /// Kinds whose events are roots of layer-3 filters (patches, PRs, issues).
    public static let rootKinds: Set<Int> = [patch, pullRequest, issue]

    /// Every value of every tag named `name`: NIP-34 puts several values in one tag
    /// (`["relays", "wss://a", "wss://b"]`), and some clients send several tags.
    public static func multiValues(_ event: NostrEvent, _ name: String) -> [String] {
        var out: [String] = []
        for tag in event.tags where tag.first == name { out.append(contentsOf: tag.dropFirst()) }
        return out
    }

    /// Relay URLs an announcement lists in `relays`, normalised (unparsable entries dropped).
    public static func relays(of event: NostrEvent) -> [RelayURL] {
        multiValues(event, "relays").compactMap(RelayURL.init)
    }

    /// Clone URLs an announcement lists.
    public static func cloneURLs(of event: NostrEvent) -> [String] { multiValues(event, "clone") }

    /// Maintainer pubkeys an announcement lists (lowercase hex only).
    public static func maintainers(of event: NostrEvent) -> [String] {
        multiValues(event, "maintainers").filter { Hex.isLowercaseHex($0, byteCount: 32) }
    }

    /// Relays a 30617 points sync at (decisions: Relays from announcements): `relays` values plus relay URLs
    /// derived from http(s) clone URLs, normalised and deduplicated in order.
    public static func syncRelays(of event: NostrEvent) -> [RelayURL] {
        var seen = Set<RelayURL>()
        var out: [RelayURL] = []
        for url in relays(of: event) + cloneURLs(of: event).compactMap(RelayURL.fromCloneURL) where seen.insert(url).inserted {
            out.append(url)
        }
        return out
    }

    /// Whether a repository identifier (`d`) is acceptable: non-empty, not `.`/`..`, and free
    /// of `/`, `\` and NUL (decisions: Acceptance policy without git hosting).
    public static func isValidIdentifier(_ d: String) -> Bool {
        !d.isEmpty && d != "." && d != ".." && !d.contains(where: { $0 == "/" || $0 == "\\" || $0 == "\0" })
    }
}
