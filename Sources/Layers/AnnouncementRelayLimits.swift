/// How many relays the node takes from announcements (`--max-relays-per-announcement`,
/// `--max-relays-per-author`): an announcement is untrusted input that makes the node track
/// and dial every relay it lists, so each announcement and each author gets a bounded share.
public struct AnnouncementRelayLimits: Sendable, Equatable {
    /// Relays taken from one announcement (`relays` tag first, then clone-derived).
    public var maxPerAnnouncement: Int
    /// Distinct relays taken from all of one author's announcements together.
    public var maxPerAuthor: Int

    /// Defaults: 10 per announcement (real repositories list two to five relays), 20 per
    /// author (an author with many repositories mostly lists the same few relays).
    public init(maxPerAnnouncement: Int = 10, maxPerAuthor: Int = 20) {
        self.maxPerAnnouncement = maxPerAnnouncement
        self.maxPerAuthor = maxPerAuthor
    }

    /// No limit (tests of unrelated behaviour).
    public static let unlimited = AnnouncementRelayLimits(maxPerAnnouncement: .max, maxPerAuthor: .max)
}
