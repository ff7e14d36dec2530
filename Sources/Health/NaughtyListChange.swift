/// A change of the ``NaughtyList`` that ``RelayHealthTracker`` reports to its observer, so
/// the naughty-list metrics move when the list does rather than at the next state snapshot.
public enum NaughtyListChange: Sendable, Equatable {
    /// `entry` was listed, or its listed entry absorbed another failure (new `count`,
    /// `reason` and `lastSeen`).
    case listed(NaughtyListEntry)
    /// The relay `url` is no longer listed: it connected, was forgotten, or its entry expired.
    case removed(url: String)
}
