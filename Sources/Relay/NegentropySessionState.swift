import Reconcile

/// A served NIP-77 session: being prepared off the loop, or reconciling.
enum NegentropySessionState {
    case opening(generation: Int, lastActivity: Double)
    /// The reservation holds the session's items in the node-wide budget until dropped.
    case open(Negentropy, NegentropyReservation, lastActivity: Double)

    var lastActivity: Double {
        switch self {
        case .opening(_, let t), .open(_, _, let t): return t
        }
    }
}
