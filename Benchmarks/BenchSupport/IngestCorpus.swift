import Nostr

/// 100,000 pre-signed NIP-34 events over 500 repositories: announcements first, then
/// issues, patches, comments and statuses that reference them (so the policy admits them).
public enum IngestCorpus {
    public static let service = RelayURL("ws://bench.relay")!
    public static let peer = RelayURL("ws://peer.bench")!

    public static func make(count: Int = 100_000, repos: Int = 500) -> [NostrEvent] {
        let keys = (1...20).map { i in NostrKeypair(secretKey: [UInt8](repeating: 0, count: 31) + [UInt8(i)])! }
        let base: Int64 = 1_700_000_000
        var events: [NostrEvent] = []
        events.reserveCapacity(count)
        var announcements: [NostrEvent] = []
        for r in 0..<repos {
            let owner = keys[r % keys.count]
            // Lists the node and the peer it syncs from (GRASP-02 targets listed relays).
            let a = owner.sign(kind: 30617, tags: [["d", "repo-\(r)"], ["name", "repo \(r)"], ["relays", service.description, peer.description]],
                               content: "", createdAt: base + Int64(r))
            announcements.append(a)
            events.append(a)
        }
        var roots: [NostrEvent] = []
        var i = 0
        while events.count < count {
            let repo = announcements[i % repos]
            let author = keys[(i * 7) % keys.count]
            let coordinate = "30617:\(repo.pubkey):\(repo.dTag)"
            let created = base + 10_000 + Int64(i)
            let event: NostrEvent
            switch i % 5 {
            case 0:
                event = author.sign(kind: 1621, tags: [["a", coordinate], ["p", repo.pubkey], ["subject", "issue \(i)"]], content: "body \(i)", createdAt: created)
                roots.append(event)
            case 1:
                event = author.sign(kind: 1617, tags: [["a", coordinate], ["p", repo.pubkey], ["t", "root"]], content: "diff --git a/x b/x \(i)", createdAt: created)
                roots.append(event)
            case 2, 3:
                let root = roots[(i * 31) % roots.count]
                event = author.sign(kind: 1111, tags: [["E", root.id], ["K", String(root.kind)], ["P", root.pubkey], ["e", root.id], ["k", String(root.kind)], ["p", root.pubkey]],
                                    content: "comment \(i)", createdAt: created)
            default:
                let root = roots[(i * 17) % roots.count]
                event = author.sign(kind: 1630 + (i % 4), tags: [["e", root.id, "", "root"], ["p", root.pubkey]], content: "", createdAt: created)
            }
            events.append(event)
            i += 1
        }
        return events
    }
}
