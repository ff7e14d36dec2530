import Foundation
import Nostr
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12, fault suite: the real binary is killed (SIGKILL) or stopped (SIGTERM) while a
/// publisher is writing and a reader holds a live subscription, at a point chosen by a
/// seeded generator (after 50...400 acknowledged events). After a restart on the same data
/// directory every event that got `OK true` before the signal (and every event the reader
/// received live) is found by a REQ by ids.
@Suite("End-to-end: crash safety under load", .timeLimit(.minutes(3)))
struct CrashSafetyEndToEndTests {
    static let options = ["--no-sync", "--close-timeout-secs", "1", "--shutdown-timeout-secs", "5",
                          "--event-burst-per-connection", "100000", "--event-burst-per-ip", "100000"]

    /// Ids acknowledged with `OK true`, in order.
    final class AckLog: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [String] = []
        private var refused: [String] = []
        func accept(_ id: String) -> Int { lock.withLock { ids.append(id); return ids.count } }
        func refuse(_ id: String, _ why: String) { lock.withLock { refused.append("\(id): \(why)") } }
        var accepted: [String] { lock.withLock { ids } }
        var refusals: [String] { lock.withLock { refused } }
    }

    enum Signal: String { case kill = "SIGKILL", term = "SIGTERM" }

    /// One round: publish until the `cut`-th `OK true`, deliver `signal` right there (the
    /// publisher keeps going until its connection ends, so events in flight during a
    /// SIGTERM shutdown count too), wait for the exit, restart, check every acknowledged
    /// and every live-received id. Returns the ids acknowledged in this round.
    static func round(_ number: Int, signal: Signal, cut: Int, node: NodeProcess, repo: E2ERepo, author: NostrKeypair,
                      announce: Bool) async throws -> [String] {
        let base = E2EEvents.now - 3000
        // Enough events that the publisher is still busy when the signal arrives.
        var events: [NostrEvent] = announce ? [repo.announcement] : []
        events += (0..<(cut + 300)).map {
            repo.issue(by: author, subject: "round \(number) issue \($0)", createdAt: base + Int64(number * 1000 + $0))
        }

        // The reader: a live subscription opened before publishing, reading until its
        // connection ends.
        let reader = try await E2EClient.connect(node.url)
        let (subscription, _) = try await reader.subscribe([Filter(authors: [author.publicKey], kinds: [NIP34.issue])])
        let readerTask = Task { () -> [String] in
            var seen: [String] = []
            while true {
                guard let event = try? await reader.nextEvent(on: subscription, deadline: 30) else { break }
                seen.append(event.id)
            }
            return seen
        }

        let acks = AckLog()
        let stopTask = CrashRoundBox<Task<String, Never>?>(nil)
        let publisher = try await E2EClient.connect(node.url)
        var publisherEnd = "ran out of events"
        for event in events {
            do {
                let reply = try await publisher.publish(event)
                guard reply.accepted else {
                    // Refusals during shutdown are fine (not acknowledged); before the signal they are a failure.
                    acks.refuse(event.id, reply.message)
                    if stopTask.value == nil { throw E2EError.protocolError("refused before the signal: \(reply.message)") }
                    continue
                }
                if acks.accept(event.id) == cut {
                    switch signal {
                    case .kill:
                        node.killNow()
                        stopTask.value = Task { await node.stop(grace: 30) }
                    case .term:
                        stopTask.value = Task { await node.stop(grace: 30) }
                    }
                }
            } catch {
                if stopTask.value == nil { throw error }
                publisherEnd = "\(error)"
                break
            }
        }
        await publisher.close()
        let how = await stopTask.value?.value ?? "never signalled"
        let live = await readerTask.value
        await reader.close()

        let acknowledged = acks.accepted
        print("[crash-safety] round \(number) \(signal.rawValue) after \(cut) acks: \(acknowledged.count) acknowledged, "
              + "\(live.count) received live, \(acks.refusals.count) refused after the signal, exit: \(how), publisher: \(publisherEnd)")
        #expect(acknowledged.count >= cut, "the signal was never sent")
        switch signal {
        case .kill: #expect(how == "signal \(SIGKILL)", "\(how)")
        case .term: #expect(how == "exit 0", "node did not stop cleanly on SIGTERM: \(how)")
        }

        try await node.restart()
        let missingAcked = try await E2EClient.with(node.url) { try await $0.missing(acknowledged) }
        #expect(missingAcked.isEmpty,
                "round \(number) \(signal.rawValue): \(missingAcked.count) of \(acknowledged.count) acknowledged events lost, e.g. \(missingAcked.prefix(3))")
        let missingLive = try await E2EClient.with(node.url) { try await $0.missing(live) }
        #expect(missingLive.isEmpty,
                "round \(number) \(signal.rawValue): \(missingLive.count) of \(live.count) events sent to a live reader lost, e.g. \(missingLive.prefix(3))")
        return acknowledged
    }

    static func run(_ name: String, signal: Signal, seed: UInt64, rounds: Int) async throws {
        try await E2E.scenario(name) { scenario in
            let node = try await scenario.node("A", extraArguments: Self.options)
            let repo = E2ERepo(relays: [node.url], createdAt: E2EEvents.now - 3600)
            let author = NostrKeypair.generate()
            var generator = SplitMix64(seed: seed)  // the same cut points on every run
            var all: [String] = []
            for number in 0..<rounds {
                let cut = Int.random(in: 50...400, using: &generator)
                all += try await round(number, signal: signal, cut: cut, node: node, repo: repo, author: author, announce: number == 0)
            }
            // Nothing acknowledged in an earlier round went missing in a later one.
            let missing = try await E2EClient.with(node.url) { try await $0.missing(all) }
            #expect(missing.isEmpty, "\(missing.count) of \(all.count) events acknowledged over \(rounds) rounds lost")
        }
    }

    @Test("SIGKILL at a seeded point under a publisher and a live reader loses no acknowledged event (2 rounds)")
    func sigkillLosesNoAcknowledgedEvent() async throws {
        try await Self.run("crash-sigkill", signal: .kill, seed: 0x6772_6173_7031, rounds: 2)
    }

    @Test("SIGTERM at a seeded point under a publisher and a live reader loses no acknowledged event (2 rounds)")
    func sigtermLosesNoAcknowledgedEvent() async throws {
        try await Self.run("crash-sigterm", signal: .term, seed: 0x6772_6173_7032, rounds: 2)
    }
}

/// A value shared between a loop and the tasks it starts.
final class CrashRoundBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
