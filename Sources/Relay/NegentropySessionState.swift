import Reconcile

/// A served NIP-77 session: being prepared off the loop, or reconciling.
enum NegentropySessionState {
    case opening(generation: Int, lastActivity: Double)
    case open(Negentropy, lastActivity: Double)

    var lastActivity: Double {
        switch self {
        case .opening(_, let t), .open(_, let t): return t
        }
    }
}
