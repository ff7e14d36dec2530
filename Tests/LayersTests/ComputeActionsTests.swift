import Health
import Layers
import Nostr
import Testing

/// The three-way diff, with the reference's checks (decisions: Three indexes and one diff,
/// Ported reference checks, Diff on every path, Sync level per item).
@Suite("computeActions three-way diff")
struct ComputeActionsTests {
    typealias F = LayersFixtures
    static let relay = LayersFixtures.url("wss://a.example")

    static func targets(_ repos: [RepoRef: SyncLevel], _ roots: Set<String> = []) -> [RelayURL: RelaySyncNeeds] {
        [relay: RelaySyncNeeds(repos: repos, rootEvents: roots)]
    }

    static func run(_ targets: [RelayURL: RelaySyncNeeds], pending: PendingSyncIndex = .init(),
                    confirmed: ConfirmedSyncIndex = .init(), status: RelayConnectionStatus? = .connected) -> [AddFilters] {
        computeActions(targets: targets, pending: pending, confirmed: confirmed, status: { _ in status })
    }

    @Test func theDiffCanBeLimitedToTheRelaysThatChanged() {
        let other = LayersFixtures.url("wss://b.example")
        let targets = [Self.relay: RelaySyncNeeds(repos: [F.ref("x"): .full]), other: RelaySyncNeeds(repos: [F.ref("y"): .full])]
        let limited = computeActions(targets: targets, pending: .init(), confirmed: .init(), relays: [other, F.url("wss://untargeted.example")],
                                     status: { _ in .connected })
        #expect(limited == [AddFilters(relay: other, repos: [F.ref("y"): .full])])
        #expect(computeActions(targets: targets, pending: .init(), confirmed: .init(), status: { _ in .connected }).count == 2)
    }

    @Test("§17: empty targets give no action")
    func empty() {
        #expect(Self.run([:]).isEmpty)
        #expect(Self.run([Self.relay: RelaySyncNeeds()]).isEmpty)
    }

    @Test("§17: relay disconnected gives no action; so does disconnecting")
    func disconnectedSkipped() {
        let targets = Self.targets([F.ref("x"): .full])
        #expect(Self.run(targets, status: .disconnected).isEmpty)
        #expect(Self.run(targets, status: .disconnecting).isEmpty)
    }

    @Test("§17: connecting, connected statuses or an unknown relay get an action", arguments: [
        RelayConnectionStatus?.none, .connecting, .syncing, .connected, .connectedHistoricSyncFailures,
    ])
    func activeOrUnknownGetsAction(status: RelayConnectionStatus?) {
        let actions = Self.run(Self.targets([F.ref("x"): .full]), status: status)
        #expect(actions == [AddFilters(relay: Self.relay, repos: [F.ref("x"): .full])])
    }

    @Test("§17: pending repos excluded; confirmed repos excluded")
    func pendingAndConfirmedExcluded() {
        let targets = Self.targets([F.ref("x"): .full], [F.eventID(1)])
        var pending = PendingSyncIndex()
        pending.add(relay: Self.relay, repos: [F.ref("x"): .full], rootEvents: [F.eventID(1)])
        #expect(Self.run(targets, pending: pending).isEmpty)

        var confirmed = ConfirmedSyncIndex()
        confirmed.confirm(PendingBatch(id: 1, relay: Self.relay, repos: [F.ref("x"): .full], rootEvents: [F.eventID(1)]))
        #expect(Self.run(targets, confirmed: confirmed).isEmpty)
    }

    @Test("§17: partial overlap yields only the new repo")
    func partialOverlap() throws {
        var confirmed = ConfirmedSyncIndex()
        confirmed.confirm(PendingBatch(id: 1, relay: Self.relay, repos: [F.ref("old"): .full]))
        let actions = Self.run(Self.targets([F.ref("old"): .full, F.ref("new"): .full]), confirmed: confirmed)
        #expect(actions == [AddFilters(relay: Self.relay, repos: [F.ref("new"): .full])])
        #expect(try #require(actions.first).filters(live: false).count == 4)
    }

    @Test("§17: a single new root event yields exactly 3 filters")
    func singleRootEvent() throws {
        var confirmed = ConfirmedSyncIndex()
        confirmed.confirm(PendingBatch(id: 1, relay: Self.relay, repos: [F.ref("x"): .full]))
        let actions = Self.run(Self.targets([F.ref("x"): .full], [F.eventID(5)]), confirmed: confirmed)
        #expect(actions.count == 1)
        let action = try #require(actions.first)
        #expect(action.repos.isEmpty)
        #expect(action.rootEvents == [F.eventID(5)])
        let filters = action.filters(live: true)
        #expect(filters.count == 3)
        #expect(filters.map { $0.tags.keys.first! } == ["e", "E", "q"])
    }

    @Test("Only the relay's own pending and confirmed state counts")
    func perRelayState() {
        let other = F.url("wss://b.example")
        var pending = PendingSyncIndex()
        pending.add(relay: other, repos: [F.ref("x"): .full], rootEvents: [])
        var confirmed = ConfirmedSyncIndex()
        confirmed.confirm(PendingBatch(id: 9, relay: other, repos: [F.ref("x"): .full]))
        #expect(Self.run(Self.targets([F.ref("x"): .full]), pending: pending, confirmed: confirmed).count == 1)
    }

    @Test("Actions are sorted by relay and the status is asked per relay")
    func sortedAndPerRelayStatus() {
        let refs = F.refs(1)
        let targets: [RelayURL: RelaySyncNeeds] = [
            F.url("wss://c.example"): RelaySyncNeeds(repos: [refs[0]: .full]),
            F.url("wss://a.example"): RelaySyncNeeds(repos: [refs[0]: .full]),
            F.url("wss://b.example"): RelaySyncNeeds(repos: [refs[0]: .full]),
        ]
        let actions = computeActions(targets: targets, pending: .init(), confirmed: .init()) { relay in
            relay == F.url("wss://b.example") ? .disconnected : .syncing
        }
        #expect(actions.map(\.relay) == [F.url("wss://a.example"), F.url("wss://c.example")])
    }

    /// (decisions: Sync level per item)
    @Test("stateOnly confirmed, full desired -> action with the repo at full, and its L2 filters")
    func stateOnlyToFullUpgrade() throws {
        let ref = F.ref("grasp")
        var confirmed = ConfirmedSyncIndex()
        confirmed.confirm(PendingBatch(id: 1, relay: Self.relay, repos: [ref: .stateOnly]))
        // Desired stateOnly: covered.
        #expect(Self.run(Self.targets([ref: .stateOnly]), confirmed: confirmed).isEmpty)
        // Desired full: the reference emits nothing here (level not tracked); we emit the upgrade.
        let actions = Self.run(Self.targets([ref: .full], [F.eventID(3)]), confirmed: confirmed)
        #expect(actions == [AddFilters(relay: Self.relay, repos: [ref: .full], rootEvents: [F.eventID(3)])])
        let filters = try #require(actions.first).filters(live: false)
        #expect(filters.contains { $0.tags["a"] == [ref.description] })
        #expect(filters.contains { $0.tags["A"] == [ref.description] })
        #expect(filters.contains { $0.tags["q"] == [ref.description] })
        #expect(filters.contains { $0.tags["e"] == [F.eventID(3)] })
    }

    /// (decisions: Sync level per item)
    @Test("a stateOnly pending batch does not cover a full need; a full one covers stateOnly")
    func levelAwarePending() {
        let ref = F.ref("grasp")
        var pendingState = PendingSyncIndex()
        pendingState.add(relay: Self.relay, repos: [ref: .stateOnly], rootEvents: [])
        #expect(Self.run(Self.targets([ref: .full]), pending: pendingState).first?.repos == [ref: .full])
        var pendingFull = PendingSyncIndex()
        pendingFull.add(relay: Self.relay, repos: [ref: .full], rootEvents: [])
        #expect(Self.run(Self.targets([ref: .stateOnly]), pending: pendingFull).isEmpty)
    }
}
