import Foundation
import Nostr

/// The corpus the peer-profile scenarios sync: 20,000 NIP-34 events in 1,000 repositories,
/// shaped like real collaboration data (issues, patches and a PR per repo, NIP-22 comments
/// and statuses that reach the node only through Layer 3, replies and reactions), signed once
/// per test process. 1,000 repo coordinates are about 80,000 bytes: more than strfry takes
/// in one tag filter.
struct ProfileCorpus: Sendable {
    /// The URL announcements list for the peer (the scenario transport dials the profiled
    /// server for it).
    static let peerURL = RelayURL("ws://peer.test")!
    static let nodeURL = RelayURL("wss://node.test")!
    static let owners = (1...10).map { NostrKeypair(secretKeyHex: String(format: "%064x", 0x1000 + $0))! }
    static let contributors = (1...10).map { NostrKeypair(secretKeyHex: String(format: "%064x", 0x2000 + $0))! }

    let events: [NostrEvent]
    let repos: Int
    let createdAround: Int64

    /// The one corpus of the test process, timestamped a month before `now`.
    static let shared = ProfileCorpus(repos: 1_000, now: Int64(Date().timeIntervalSince1970))

    init(repos: Int, now: Int64) {
        self.repos = repos
        createdAround = now
        var out: [NostrEvent] = []
        out.reserveCapacity(repos * 20)
        for r in 0..<repos {
            out += Self.repository(r, base: now - 2_592_000 + Int64(r) * 600)
        }
        events = out
    }

    /// Twenty events of repository `r`: announcement, state, 3 issues, 2 patches, a PR, a
    /// comment on each of the six roots, 3 statuses without `a` tags, a reply, a reaction and
    /// a PR update (`E` only).
    /// `base` is the announcement's `created_at`; the rest follow within minutes.
    static func repository(_ r: Int, base: Int64, suffix: String = "") -> [NostrEvent] {
        let owner = owners[r % owners.count]
        let d = String(format: "repository-%04d", r) + suffix
        let coordinate = "30617:\(owner.publicKey):\(d)"
        let announcement = owner.sign(kind: 30617, tags: [["d", d], ["name", d], ["relays", peerURL.description, nodeURL.description]],
                                      content: "", createdAt: base)
        let state = owner.sign(kind: 30618, tags: [["d", d], ["refs/heads/main", String(repeating: "a", count: 40)], ["HEAD", "ref: refs/heads/main"]],
                               content: "", createdAt: base + 1)
        var roots: [NostrEvent] = []
        for i in 0..<3 {
            roots.append(contributor(r + i).sign(kind: 1621, tags: [["a", coordinate], ["p", owner.publicKey], ["subject", "issue \(i) of \(d)"]],
                                                 content: "issue \(i) of \(d)", createdAt: base + 10 + Int64(i)))
        }
        for i in 0..<2 {
            roots.append(contributor(r + i + 3).sign(kind: 1617, tags: [["a", coordinate], ["p", owner.publicKey], ["t", "root"]],
                                                     content: "patch \(i) of \(d)", createdAt: base + 20 + Int64(i)))
        }
        roots.append(contributor(r + 5).sign(kind: 1618, tags: [["a", coordinate], ["p", owner.publicKey], ["subject", "pr of \(d)"],
                                                                ["c", String(repeating: "b", count: 40)]],
                                             content: "pr of \(d)", createdAt: base + 30))
        var replies: [NostrEvent] = []
        for (i, root) in roots.enumerated() {
            replies.append(contributor(r + i + 6).sign(
                kind: 1111, tags: [["E", root.id, "", root.pubkey], ["K", String(root.kind)], ["P", root.pubkey],
                                   ["e", root.id], ["k", String(root.kind)], ["p", root.pubkey]],
                content: "comment on \(root.content)", createdAt: base + 100 + Int64(i)))
        }
        for i in 0..<3 {
            replies.append(owner.sign(kind: 1630 + i, tags: [["e", roots[i].id, "", "root"], ["p", roots[i].pubkey]],
                                      content: "status \(i) of \(d)", createdAt: base + 200 + Int64(i)))
        }
        replies.append(contributor(r + 7).sign(kind: 1, tags: [["e", roots[0].id, "", "reply"]], content: "reply in \(d)", createdAt: base + 300))
        replies.append(contributor(r + 8).sign(kind: 7, tags: [["e", roots[3].id], ["p", roots[3].pubkey]], content: "+", createdAt: base + 301))
        replies.append(contributor(r + 5).sign(kind: 1619, tags: [["E", roots[5].id], ["P", roots[5].pubkey]], content: "update of \(d)",
                                               createdAt: base + 302))
        return [announcement, state] + roots + replies
    }

    static func contributor(_ n: Int) -> NostrKeypair { contributors[n % contributors.count] }
}
