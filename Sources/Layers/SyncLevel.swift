/// How much of a repository a relay is asked for (decisions: Sync level per item).
///
/// - ``stateOnly``: only the repository's state filter (`30618` + `#d`).
/// - ``full``: the state filter, Layer 2 (`#a`/`#A`/`#q` on the repo coordinate) and Layer 3
///   for the repository's root events.
///
/// Levels are ordered: `.full` covers everything `.stateOnly` covers, so a repo confirmed or
/// pending at `.full` satisfies a `.stateOnly` need, but not the reverse (decisions: Sync level per item).
public enum SyncLevel: Int, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    case stateOnly = 1
    case full = 2

    public static func < (lhs: SyncLevel, rhs: SyncLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .stateOnly: return "stateOnly"
        case .full: return "full"
        }
    }
}
