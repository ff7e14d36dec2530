import Health
import Nostr

/// One relay on the naughty list, as exported by `ngit_sync_naughty_relay_info`
/// (labels `relay`, `category`, `reason`; value = ``count``) and counted per category by
/// `ngit_sync_naughty_relays_total`.
public struct NaughtyRelayMetric: Sendable, Equatable, Codable {
    /// The `relay` label: the normalised relay URL.
    public var relay: String
    /// The misconfiguration category.
    public var category: MisconfigurationCategory
    /// The full text of the most recent listed failure (the `reason` label).
    public var reason: String
    /// How many listed failures the entry has absorbed.
    public var count: Int

    /// Creates an entry for a relay URL.
    public init(relay: RelayURL, category: MisconfigurationCategory, reason: String, count: Int) {
        self.relay = relay.description
        self.category = category
        self.reason = reason
        self.count = count
    }

    /// Creates an entry from a ``Health/NaughtyListEntry``. The URL is normalised when it
    /// parses as a relay URL and kept verbatim otherwise.
    public init(_ entry: NaughtyListEntry) {
        relay = RelayURL(entry.url)?.description ?? entry.url
        category = entry.category
        reason = entry.reason
        count = entry.count
    }
}
