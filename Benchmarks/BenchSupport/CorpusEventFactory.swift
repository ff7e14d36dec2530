import Nostr

/// Signs new events that a node holding the ingest corpus (`IngestCorpus`) stores: kind 1621
/// issues on the corpus's repositories and NIP-22 comments (kind 1111) on those issues, with
/// the corpus's own keys. Each event is new (the factory's label and a counter are in its
/// content), so the node stores it rather than answering `duplicate:`.
public struct CorpusEventFactory: Sendable {
    /// The corpus's keys: `IngestCorpus.make` derives its 20 authors the same way (secret key
    /// 31 zero bytes, then 1...20), and repository r is owned by key r mod 20.
    public static let keys = (1...20).map { i in NostrKeypair(secretKey: [UInt8](repeating: 0, count: 31) + [UInt8(i)])! }

    /// The corpus's timestamps end at 1,700,110,000; new events come after them and long
    /// before the benchmark ingestor's clock (1,800,000,000), so no future-time refusal.
    static let baseCreatedAt: Int64 = 1_700_500_000

    /// Told apart from other factories' events by this label.
    public let label: String
    /// Repositories of the corpus (`repo-0` ... `repo-(repos-1)`).
    public let repos: Int
    private var counter = 0
    private var lastIssue: NostrEvent?

    public init(label: String, repos: Int = 500) {
        self.label = label
        self.repos = repos
    }

    /// An issue on the next repository in turn.
    public mutating func issue() -> NostrEvent {
        let n = bump()
        let r = n % repos
        let owner = Self.keys[r % Self.keys.count]
        let author = Self.keys[(n * 7) % Self.keys.count]
        let coordinate = "30617:\(owner.publicKey):repo-\(r)"
        let event = author.sign(kind: 1621, tags: [["a", coordinate], ["p", owner.publicKey], ["subject", "\(label) issue \(n)"]],
                                content: "\(label) body \(n)", createdAt: Self.baseCreatedAt + Int64(n))
        lastIssue = event
        return event
    }

    /// A NIP-22 comment on `root`.
    public mutating func comment(on root: NostrEvent) -> NostrEvent {
        let n = bump()
        let author = Self.keys[(n * 7) % Self.keys.count]
        return author.sign(kind: 1111, tags: [["E", root.id], ["K", String(root.kind)], ["P", root.pubkey],
                                              ["e", root.id], ["k", String(root.kind)], ["p", root.pubkey]],
                           content: "\(label) comment \(n)", createdAt: Self.baseCreatedAt + Int64(n))
    }

    /// Issues and comments in turn, each comment on the issue just before it (sent on the
    /// same connection, so the node has stored the issue when the comment arrives).
    public mutating func next() -> NostrEvent {
        if counter % 2 == 1, let root = lastIssue { return comment(on: root) }
        return issue()
    }

    private mutating func bump() -> Int {
        defer { counter += 1 }
        return counter
    }
}
