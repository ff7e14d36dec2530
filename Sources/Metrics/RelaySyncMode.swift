/// How the node runs historic batches against a relay: NIP-77 negentropy, or REQ/EOSE
/// pagination (the relay does not speak NIP-77, or it is turned off).
public enum RelaySyncMode: String, Sendable, Codable, Equatable {
    case nip77
    case req

    /// "NIP-77" or "REQ/EOSE".
    public var label: String {
        switch self {
        case .nip77: return "NIP-77"
        case .req: return "REQ/EOSE"
        }
    }
}
