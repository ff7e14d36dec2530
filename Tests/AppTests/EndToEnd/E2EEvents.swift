import Foundation
import Nostr

/// Signed NIP-34 events for the end-to-end scenarios.
///
/// Layer-3 events deliberately reference their root in one way only, so each sync layer
/// is exercised on its own: comments carry `E` (not `e`), statuses carry `e`; neither
/// carries the repository coordinate.
struct E2ERepo: Sendable {
    let owner: NostrKeypair
    let identifier: String
    let announcement: NostrEvent

    var coordinate: String { "30617:\(owner.publicKey):\(identifier)" }

    /// A repository announced by a fresh owner, listing `relays`.
    init(relays: [String], identifier: String = "repo-\(UUID().uuidString.prefix(8).lowercased())", createdAt: Int64) {
        owner = NostrKeypair.generate()
        self.identifier = identifier
        announcement = owner.sign(kind: NIP34.repoAnnouncement, tags: [
            ["d", identifier], ["name", identifier], ["description", "end-to-end sync test repository"],
            ["relays"] + relays, ["r", E2EEvents.randomHex(20), "euc"],
        ], content: "", createdAt: createdAt)
    }

    /// A 30618 state event by the owner.
    func state(createdAt: Int64) -> NostrEvent {
        let head = E2EEvents.randomHex(20)
        return owner.sign(kind: NIP34.repoState, tags: [
            ["d", identifier], ["refs/heads/main", head], ["HEAD", "ref: refs/heads/main"],
        ], content: "", createdAt: createdAt)
    }

    func issue(by author: NostrKeypair, subject: String, createdAt: Int64) -> NostrEvent {
        author.sign(kind: NIP34.issue, tags: [["a", coordinate], ["p", owner.publicKey], ["subject", subject]],
                    content: "issue: \(subject)", createdAt: createdAt)
    }

    func patch(by author: NostrKeypair, createdAt: Int64) -> NostrEvent {
        let commit = E2EEvents.randomHex(20)
        return author.sign(kind: NIP34.patch, tags: [
            ["a", coordinate], ["p", owner.publicKey], ["t", "root"], ["commit", commit],
        ], content: "From \(commit) Mon Sep 17 00:00:00 2001\nSubject: [PATCH] change\n\n---\n", createdAt: createdAt)
    }

    func pullRequest(by author: NostrKeypair, createdAt: Int64) -> NostrEvent {
        author.sign(kind: NIP34.pullRequest, tags: [
            ["a", coordinate], ["p", owner.publicKey], ["subject", "a pull request"],
            ["c", E2EEvents.randomHex(20)], ["branch-name", "feature"],
        ], content: "please pull", createdAt: createdAt)
    }
}

enum E2EEvents {
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    static func randomHex(_ bytes: Int) -> String {
        Hex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255) })
    }

    /// A NIP-22 comment on `root` referencing it only by `E` (plus `K`, `P`, `k`, `p`).
    static func comment(on root: NostrEvent, by author: NostrKeypair, text: String, createdAt: Int64) -> NostrEvent {
        author.sign(kind: NIP34.comment, tags: [
            ["E", root.id, "", root.pubkey], ["K", String(root.kind)], ["P", root.pubkey],
            ["k", String(root.kind)], ["p", root.pubkey],
        ], content: text, createdAt: createdAt)
    }

    /// A status (1630 open by default) on `root` referencing it only by `e`.
    static func status(of root: NostrEvent, by author: NostrKeypair, kind: Int = 1630, createdAt: Int64) -> NostrEvent {
        author.sign(kind: kind, tags: [["e", root.id, "", "root"], ["p", root.pubkey]], content: "", createdAt: createdAt)
    }

    /// Writes events as JSON lines (the Python peers' `--events` format).
    static func writeJSONLines(_ events: [NostrEvent], to url: URL) throws {
        let text = events.map(\.jsonText).joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: url)
    }
}

/// A repository with one of every event kind the sync must carry, as published on the
/// source relay in this order (each references only what precedes it).
struct E2ERepoHistory: Sendable {
    let repo: E2ERepo
    let contributor: NostrKeypair
    let state: NostrEvent
    let issue: NostrEvent
    let patch: NostrEvent
    let pullRequest: NostrEvent
    let comment: NostrEvent
    let status: NostrEvent

    init(relays: [String], base: Int64 = E2EEvents.now - 600) {
        repo = E2ERepo(relays: relays, createdAt: base)
        contributor = NostrKeypair.generate()
        state = repo.state(createdAt: base + 1)
        issue = repo.issue(by: contributor, subject: "it crashes", createdAt: base + 2)
        patch = repo.patch(by: contributor, createdAt: base + 3)
        pullRequest = repo.pullRequest(by: contributor, createdAt: base + 4)
        comment = E2EEvents.comment(on: issue, by: repo.owner, text: "confirmed", createdAt: base + 5)
        status = E2EEvents.status(of: patch, by: repo.owner, createdAt: base + 6)
    }

    /// Everything in publication order.
    var all: [NostrEvent] { [repo.announcement, state, issue, patch, pullRequest, comment, status] }

    /// Everything after the announcement, labelled (failure messages).
    var labelledDependents: [(String, NostrEvent)] {
        [("state 30618", state), ("issue 1621", issue), ("patch 1617", patch), ("PR 1618", pullRequest),
         ("comment 1111 (E)", comment), ("status 1630 (e)", status)]
    }
}
