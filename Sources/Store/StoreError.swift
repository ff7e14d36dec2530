/// A failure of the event store itself (not a refusal of an event).
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database reported an error; the text is SQLite's.
    case database(String)
    /// A stored row could not be decoded (corruption or a schema from a newer version).
    case corruptRow(String)
    /// `PRAGMA quick_check` found damage (the text is SQLite's findings).
    case damaged(String)

    public var description: String {
        switch self {
        case .database(let m): return "database error: \(m)"
        case .corruptRow(let m): return "corrupt stored row: \(m)"
        case .damaged(let m): return "database damaged: \(m)"
        }
    }
}
