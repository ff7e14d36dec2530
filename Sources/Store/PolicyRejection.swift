import Nostr

/// Why the acceptance policy refused an event. `okMessage` is the NIP-01 `OK false` text.
public enum PolicyRejection: Error, Sendable, Equatable, CustomStringConvertible {
    case blockedAuthor
    case tooManyTags(limit: Int)
    case contentTooLarge(limit: Int)
    case createdAtInFuture(limit: Int64)
    /// A 30617 that does not parse (missing/invalid `d`, several `clone` tags, ...).
    case malformedAnnouncement(String)
    /// A 30617 that does not list this service (and no archive or maintainer exception applies).
    case doesNotListService
    /// A 30618 whose identifier has no stored announcement.
    case noAnnouncement
    /// A 30618 by someone outside every owner's recursive maintainer set.
    case notAuthorized
    /// A 30618 without a `d` tag.
    case malformedState
    /// Any other event that references no accepted repository or event and is referenced by none.
    case unrelated(kind: Int)

    /// The machine-readable prefix the answer carries.
    public var prefix: MachineReadablePrefix {
        switch self {
        case .blockedAuthor, .doesNotListService, .unrelated: return .blocked
        default: return .invalid
        }
    }

    /// The full `OK false` message.
    public var okMessage: String {
        switch self {
        case .blockedAuthor: return prefix.message("event author is blocked on this relay")
        case .tooManyTags(let l): return prefix.message("too many tags (limit \(l))")
        case .contentTooLarge(let l): return prefix.message("content larger than \(l) bytes")
        case .createdAtInFuture(let l): return prefix.message("created_at is more than \(l) seconds in the future")
        case .malformedAnnouncement(let why): return prefix.message("malformed repository announcement: \(why)")
        case .doesNotListService: return prefix.message("announcement must list this relay in its 'relays' tag")
        case .noAnnouncement: return prefix.message("no announcement exists for this repository")
        case .notAuthorized: return prefix.message("author not authorized for this repository")
        case .malformedState: return prefix.message("repository state needs a 'd' tag")
        case .unrelated(let kind): return prefix.message("kind \(kind) event must reference an accepted repository or accepted event")
        }
    }

    public var description: String { okMessage }

    /// The rejected-events index category (decisions: Rejected-events index), for 30617/30618 rejections only.
    public var rejectedReason: RejectedReason? {
        switch self {
        case .doesNotListService: return .doesNotListService
        case .noAnnouncement, .notAuthorized: return .maintainerNotYetValid
        case .malformedAnnouncement, .malformedState: return .other
        default: return nil
        }
    }
}
