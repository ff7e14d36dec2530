/// What the node has learned about a relay's NIP-77 support, from behaviour only (never
/// from NIP-11, which lies: field notes §4.2).
public enum NegentropySupport: String, Sendable, Codable {
    case unknown
    case supported
    case unsupported
}
