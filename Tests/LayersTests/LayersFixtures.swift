import Layers
import Nostr

/// Keys, events and helpers shared by the Layers tests.
enum LayersFixtures {
    static let alice = NostrKeypair(secretKeyHex: String(repeating: "0", count: 63) + "1")!
    static let bob = NostrKeypair(secretKeyHex: String(repeating: "0", count: 63) + "2")!
    static let carol = NostrKeypair(secretKeyHex: String(repeating: "0", count: 63) + "3")!

    /// The node's own public relay URL.
    static let own = url("wss://grasp.example.com")

    static func url(_ text: String) -> RelayURL { RelayURL(text)! }

    static func urls(_ texts: String...) -> Set<RelayURL> { Set(texts.map(url)) }

    /// A repo ref with a fake but well-formed owner key (`c` repeated).
    static func ref(_ identifier: String, owner: Character = "c") -> RepoRef {
        RepoRef(pubkey: String(repeating: owner, count: 64), identifier: identifier)
    }

    /// `n` distinct repo refs `repo-000`, `repo-001`, ….
    static func refs(_ n: Int, owner: Character = "c") -> [RepoRef] {
        (0..<n).map { ref("repo-" + String(1000 + $0).dropFirst(), owner: owner) }
    }

    /// A 64-hex fake event id derived from `n`.
    static func eventID(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    /// A signed 30617 announcement.
    static func announcement(_ key: NostrKeypair = alice, d: String, relays: [String] = [], clone: [String] = [],
                             createdAt: Int64 = 1_700_000_000) -> NostrEvent {
        var tags: [[String]] = [["d", d], ["name", d]]
        if !clone.isEmpty { tags.append(["clone"] + clone) }
        if !relays.isEmpty { tags.append(["relays"] + relays) }
        return key.sign(kind: NIP34.repoAnnouncement, tags: tags, content: "", createdAt: createdAt)
    }

    /// The ref of an announcement.
    static func ref(of announcement: NostrEvent) -> RepoRef { RepoRef(event: announcement)! }

    /// A signed root event (issue by default) tagging `refs` with one `a` tag each.
    static func rootEvent(_ key: NostrKeypair = bob, kind: Int = NIP34.issue, tagging refs: [RepoRef],
                          extraTags: [[String]] = [], content: String = "issue", createdAt: Int64 = 1_700_000_100) -> NostrEvent {
        key.sign(kind: kind, tags: refs.map { ["a", $0.description] } + extraTags, content: content, createdAt: createdAt)
    }

    /// A signed kind-5 deletion.
    static func deletion(_ key: NostrKeypair = alice, a: [String] = [], e: [String] = [],
                         createdAt: Int64 = 1_700_001_000) -> NostrEvent {
        let tags = a.map { ["a", $0] } + e.map { ["e", $0] } + [["k", String(NIP34.repoAnnouncement)]]
        return key.sign(kind: NIP34.deletion, tags: tags, content: "", createdAt: createdAt)
    }
}
