import Nostr

/// What happened to one event offered to the node, by a client or by sync.
public enum IngestResult: Sendable, Equatable {
    /// Stored (or, for ephemeral kinds, broadcast).
    case saved
    /// Already stored.
    case duplicate
    /// A newer replaceable/addressable version is stored.
    case superseded
    /// Deleted by its author earlier (NIP-09).
    case deleted
    /// Failed id/signature/shape checks.
    case invalid(EventValidationError)
    /// Refused by the acceptance policy.
    case rejected(PolicyRejection)
    /// Known as rejected (rejected-events index) and skipped without re-evaluation.
    case knownRejected
    /// The store failed; nothing was written.
    case storeFailed(StoreError)

    /// The NIP-01 `OK` answer: accepted flag and message.
    public var okAnswer: (accepted: Bool, message: String) {
        switch self {
        case .saved: return (true, "")
        case .duplicate: return (true, MachineReadablePrefix.duplicate.message("already have this event"))
        case .superseded: return (true, MachineReadablePrefix.duplicate.message("a newer version of this event is stored"))
        case .deleted: return (false, MachineReadablePrefix.blocked.message("this event was deleted by its author"))
        case .invalid(let e): return (false, MachineReadablePrefix.invalid.message(e.message))
        case .rejected(let r): return (false, r.okMessage)
        case .knownRejected: return (false, MachineReadablePrefix.blocked.message("event was rejected before"))
        case .storeFailed: return (false, MachineReadablePrefix.error.message("could not store the event, try again later"))
        }
    }
}
