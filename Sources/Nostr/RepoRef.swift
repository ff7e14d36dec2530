/// A reference to an addressable event, `<kind>:<pubkey>:<d>`; for repositories `30617:<pk>:<d>`.
public struct RepoRef: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let kind: Int
    public let pubkey: String
    public let identifier: String

    public init(kind: Int = NIP34.repoAnnouncement, pubkey: String, identifier: String) {
        self.kind = kind
        self.pubkey = pubkey
        self.identifier = identifier
    }

    /// Parses `<kind>:<64-hex pubkey>:<d>`; the identifier may itself contain `:`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let kind = Int(parts[0]), kind >= 0, Hex.isLowercaseHex(String(parts[1]), byteCount: 32) else { return nil }
        self.init(kind: kind, pubkey: String(parts[1]), identifier: String(parts[2]))
    }

    /// The reference of an addressable event (nil for other kinds).
    public init?(event: NostrEvent) {
        guard event.kindClass == .addressable else { return nil }
        self.init(kind: event.kind, pubkey: event.pubkey, identifier: event.dTag)
    }

    public var description: String { "\(kind):\(pubkey):\(identifier)" }

    public static func < (lhs: RepoRef, rhs: RepoRef) -> Bool { lhs.description < rhs.description }
}
