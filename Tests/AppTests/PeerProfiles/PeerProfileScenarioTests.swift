import App
import Foundation
import Health
import Nostr
import Reconcile
import Testing
import TransportTestKit

/// Every sync path against every peer profile (issue "field-proof sync", item 3): a fresh
/// start, a quick reconnect after a node restart, and the daily resync, each against strfry's
/// limits and refusal texts, rust-nostr's LocalRelay's, and relays without NIP-77 (one that
/// answers NEG-OPEN with "ERROR: unknown command", one that ignores it). The corpus has
/// 20,000 events in 1,000 repositories. Each path must end Connected (not
/// ConnectedHistoricSyncFailures) with every event present, and with NIP-77 still in use
/// where the profile has it. The profiles run one after another: each keeps both cores busy.
@Suite(.serialized) struct PeerProfileScenarioTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let profile: PeerProfile
        let speaksNegentropy: Bool
        var testDescription: String { profile.name }
    }

    static let cases = [
        Case(profile: .strfry, speaksNegentropy: true),
        Case(profile: .rustNostr, speaksNegentropy: true),
        Case(profile: .noNegentropy, speaksNegentropy: false),
        Case(profile: .silentNoNegentropy, speaksNegentropy: false),
    ]

    @Test(arguments: cases)
    func freshStartQuickReconnectAndDailyResyncEndCompleteAndConnected(_ c: Case) async throws {
        let corpus = ProfileCorpus.shared
        #expect(corpus.events.count == 20_000)
        let s = try await ProfileScenario(profile: c.profile, corpus: corpus)
        let expectedSupport: NegentropySupport = c.speaksNegentropy ? .supported : .unsupported

        // 1. Fresh start: everything arrives.
        await s.start()
        let fresh = await s.driveUntilSettled()
        let diagnosis = await s.diagnosis()
        #expect(fresh == .connected, "\(c.profile.name): fresh start did not end Connected; \(diagnosis)")
        #expect(await s.coordinator.syncStrategy(ProfileScenario.peer) == .freshStart)
        var missing = s.missing(corpus.events)
        #expect(missing.count == 0, "\(c.profile.name) fresh start: \(missing.count) of \(corpus.events.count) missing, kinds \(Set(missing.map(\.kind)))")
        #expect(await s.coordinator.negentropySupport(ProfileScenario.peer) == expectedSupport)

        // 2. The node restarts within the quick-reconnect window; meanwhile the peer gets a new
        // repository with its threads and new replies to old threads.
        let now = Int64(s.clock.now()) - 600
        s.clock.advance(by: 120)
        var added = ProfileCorpus.repository(5_000, base: now, suffix: "-new")
        added += corpus.events.filter { $0.kind == 1621 }.prefix(30).map { issue in
            ProfileCorpus.contributor(1).sign(kind: 1111, tags: [["E", issue.id], ["K", "1621"], ["e", issue.id], ["k", "1621"]],
                                              content: "late comment on \(issue.id.prefix(8))", createdAt: now - 30)
        }
        #expect(s.server.ingest(added).allSatisfy { $0 == .saved })
        await s.restart()
        #expect(await s.driveUntilSettled() == .connected, "\(c.profile.name): quick reconnect did not end Connected")
        guard case .quickReconnect? = await s.coordinator.syncStrategy(ProfileScenario.peer) else {
            Issue.record("\(c.profile.name): restart was not a quick reconnect")
            await s.stop()
            return
        }
        missing = s.missing(corpus.events + added)
        #expect(missing.count == 0, "\(c.profile.name) quick reconnect: \(missing.count) missing, kinds \(Set(missing.map(\.kind)))")
        #expect(await s.coordinator.negentropySupport(ProfileScenario.peer) == expectedSupport)

        // 3. The daily resync: back through Syncing, NIP-77 re-probed, everything checked again.
        let comment = ProfileCorpus.contributor(2).sign(kind: 1111, tags: [["E", added[2].id], ["e", added[2].id]],
                                                        content: "before the daily resync", createdAt: now)
        #expect(s.server.ingest([comment]) == [.saved])
        guard let due = await s.coordinator.nextDailyResync(ProfileScenario.peer) else {
            Issue.record("no daily resync scheduled")
            await s.stop()
            return
        }
        s.clock.set(due)
        await s.coordinator.tick()
        #expect(await s.status == .syncing)
        #expect(await s.driveUntilSettled() == .connected, "\(c.profile.name): daily resync did not end Connected")
        missing = s.missing(corpus.events + added + [comment])
        #expect(missing.count == 0, "\(c.profile.name) daily resync: \(missing.count) missing, kinds \(Set(missing.map(\.kind)))")
        #expect(await s.coordinator.negentropySupport(ProfileScenario.peer) == expectedSupport)
        await s.stop()
    }
}

/// A node configured for bigger requests than the peer takes (as if the peer's limit were
/// unknown) learns the peer's limit from its "too large" refusals, splits what was refused,
/// and completes; the learned limit persists across a restart.
@Suite struct LearnedRequestLimitTests {
    /// 1,100 repositories (coordinates of about 80 bytes: 88,000 bytes in one `#a` list)
    /// with one issue each.
    static let corpus: [NostrEvent] = {
        let now = Int64(Date().timeIntervalSince1970)
        return (0..<1_100).flatMap { r in Array(ProfileCorpus.repository(r, base: now - 200_000 + Int64(r) * 60).prefix(3)) }
    }()

    @Test(arguments: [PeerProfile.strfry, PeerProfile.noNegentropy])
    func tooLargeRefusalsShrinkTheLimitAndEverythingArrives(_ profile: PeerProfile) async throws {
        let corpus = Self.corpus
        let s = try await ProfileScenario(profile: profile, events: corpus, created: Int64(Date().timeIntervalSince1970)) {
            $0.requestLimits = RequestLimits(maxTagValueBytes: 1_000_000)
        }
        await s.start()
        let status = await s.driveUntilSettled()
        let diagnosis = await s.diagnosis()
        #expect(status == .connected, "\(profile.name): \(diagnosis)")
        #expect(s.missing(corpus).count == 0)
        // The peer refused something as too large, and the node now stays under its limit.
        #expect(s.server.refusals.contains { if case .filterValuesTooLarge = $0.rule { return true } else { return false } })
        let learned = await s.coordinator.requestLimits(ProfileScenario.peer)
        #expect((learned?.maxTagValueBytes ?? .max) <= 65_535)
        // Kept with the sync state.
        await s.restart()
        #expect(await s.coordinator.requestLimits(ProfileScenario.peer) == learned)
        await s.stop()
    }
}
