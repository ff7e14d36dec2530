/// One relay on the ``NaughtyList``.
public struct NaughtyListEntry: Sendable, Equatable, Codable {
    /// The relay URL, as the coordinator keys it.
    public let url: String
    /// The category of the first listed failure; later failures do not change it.
    public let category: MisconfigurationCategory
    /// The text of the most recent listed failure (the `reason` label of
    /// `ngit_sync_naughty_relay_info`).
    public internal(set) var reason: String
    /// When the relay was listed (Unix seconds); expiry counts from here.
    public let firstSeen: Double
    /// When the most recent listed failure happened (Unix seconds).
    public internal(set) var lastSeen: Double
    /// How many listed failures this entry has absorbed.
    public internal(set) var count: Int
}
