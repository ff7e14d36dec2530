import Nostr

/// Chooses which of an announcement's relays the node takes, under ``AnnouncementRelayLimits``.
public enum AnnouncementRelaySelection {
    /// The relays to take, in `candidates` order (``NIP34/syncRelays(of:)``: `relays` tag
    /// first, then clone-derived): the node's own URLs and repeats are skipped; at most
    /// `limits.maxPerAnnouncement` are taken; a relay the author's other announcements
    /// already use (`authorRelaysElsewhere`) is always within the author's share, a new one
    /// only while the author's distinct relays stay within `limits.maxPerAuthor`.
    public static func select(_ candidates: [RelayURL], ownURLs: Set<RelayURL>, authorRelaysElsewhere: Set<RelayURL>,
                              limits: AnnouncementRelayLimits) -> [RelayURL] {
        var taken: [RelayURL] = []
        var seen = Set<RelayURL>()
        var authorTotal = authorRelaysElsewhere.count
        for url in candidates where !ownURLs.contains(url) && seen.insert(url).inserted {
            guard taken.count < limits.maxPerAnnouncement else { break }
            if authorRelaysElsewhere.contains(url) {
                taken.append(url)
            } else if authorTotal < limits.maxPerAuthor {
                taken.append(url)
                authorTotal += 1
            }
        }
        return taken
    }
}
