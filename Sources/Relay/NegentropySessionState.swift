import Reconcile

/// A served NIP-77 session: waiting for its store listing, or reconciling.
enum NegentropySessionState {
    case listing(generation: Int, initialMessage: [UInt8], lastActivity: Double)
    case open(Negentropy, lastActivity: Double)

    var lastActivity: Double {
        switch self {
        case .listing(_, _, let t), .open(_, let t): return t
        }
    }
}
