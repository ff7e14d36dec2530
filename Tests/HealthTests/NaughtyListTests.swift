import Health
import Testing

/// The naughty list: the reference's record semantics and checks (decisions: Naughty list,
/// Ported reference checks).
@Suite("Naughty list")
struct NaughtyListTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0

    @Test func recordThenUpdateCounts() {
        var list = NaughtyList()
        #expect(list.record(url, category: .dnsLookupFailed, reason: "dns error one", at: t0) == .new)
        #expect(list.record(url, category: .tlsCertificateInvalid, reason: "tls alert", at: t0 + 10) == .existing)
        #expect(list.record(url, category: .dnsLookupFailed, reason: "dns error three", at: t0 + 20) == .existing)
        let entry = list.entry(for: url, at: t0 + 20)
        #expect(entry?.count == 3)
        #expect(entry?.category == .dnsLookupFailed)  // the first category sticks
        #expect(entry?.reason == "dns error three")  // the reason is replaced
        #expect(entry?.firstSeen == t0)
        #expect(entry?.lastSeen == t0 + 20)
    }

    @Test func entriesExpireTwelveHoursAfterFirstListing() {
        var list = NaughtyList()
        list.record(url, category: .protocolError, reason: "websocket protocol error", at: t0)
        list.record(url, category: .protocolError, reason: "websocket protocol error", at: t0 + 40_000)
        #expect(list.isNaughty(url, at: t0 + 43_199))
        #expect(list.isNaughty(url, at: t0 + 43_200) == false)
        #expect(list.removeExpired(at: t0 + 43_199).isEmpty)
        #expect(list.removeExpired(at: t0 + 43_200) == [url])
        #expect(list.entries.isEmpty)
    }

    /// A zero-hour expiry expires immediately (decisions: Ported reference checks).
    @Test func zeroExpiryExpiresImmediately() {
        var list = NaughtyList(expiry: 0)
        #expect(list.record(url, category: .dnsLookupFailed, reason: "dns lookup", at: t0) == .new)
        #expect(list.isNaughty(url, at: t0) == false)
        #expect(list.counts(at: t0)[.dnsLookupFailed] == 0)
        #expect(list.removeExpired(at: t0) == [url])
    }

    @Test func relistingAfterExpiryStartsAFreshEntry() {
        var list = NaughtyList(expiry: 100)
        list.record(url, category: .dnsLookupFailed, reason: "a", at: t0)
        list.record(url, category: .dnsLookupFailed, reason: "b", at: t0 + 50)
        #expect(list.record(url, category: .tlsCertificateInvalid, reason: "c", at: t0 + 100) == .new)
        let entry = list.entry(for: url, at: t0 + 100)
        #expect(entry?.count == 1)
        #expect(entry?.category == .tlsCertificateInvalid)
        #expect(entry?.firstSeen == t0 + 100)
    }

    @Test func countsAlwaysCoverAllCategories() {
        var list = NaughtyList()
        #expect(list.counts(at: t0) == [.dnsLookupFailed: 0, .tlsCertificateInvalid: 0, .protocolError: 0])
        list.record("wss://a", category: .dnsLookupFailed, reason: "x", at: t0)
        list.record("wss://b", category: .dnsLookupFailed, reason: "x", at: t0)
        list.record("wss://c", category: .protocolError, reason: "x", at: t0)
        #expect(list.counts(at: t0 + 1) == [.dnsLookupFailed: 2, .tlsCertificateInvalid: 0, .protocolError: 1])
        #expect(list.listed(at: t0 + 1).map(\.url) == ["wss://a", "wss://b", "wss://c"])
        let removed = list.remove("wss://b")
        let removedAgain = list.remove("wss://b")
        #expect(removed)
        #expect(removedAgain == false)
        #expect(list.counts(at: t0 + 1)[.dnsLookupFailed] == 1)
    }

    @Test func machineListsMisconfiguredRelays() {
        var machine = RelayHealthStateMachine()
        let first = machine.recordFailure(url, kind: .dns, message: "dns error: no such host", at: t0)
        guard case .retryMisconfigured(_, .dnsLookupFailed, true) = first else {
            Issue.record("expected a new DNS listing, got \(first)")
            return
        }
        let second = machine.recordFailure(url, kind: .dns, message: "dns error: still no host", at: first.retryAt)
        guard case .retryMisconfigured(_, .dnsLookupFailed, false) = second else {
            Issue.record("expected an existing DNS listing, got \(second)")
            return
        }
        #expect(machine.naughtyList.entry(for: url, at: second.retryAt)?.count == 2)
        #expect(machine.naughtyList.entry(for: url, at: second.retryAt)?.reason == "dns error: still no host")
        #expect(machine.snapshot(of: url, at: second.retryAt)?.misconfiguration == .dnsLookupFailed)
        // Transient failures do not list.
        machine.recordFailure(HealthFixture.other, kind: .refused, at: t0)
        #expect(machine.naughtyList.isNaughty(HealthFixture.other, at: t0) == false)
    }

    @Test func machineExpiresListingsOnTick() {
        var machine = RelayHealthStateMachine()
        machine.recordFailure(url, kind: .tlsCertificate, at: t0)
        #expect(machine.tick(at: t0 + 43_199).naughtyExpired.isEmpty)
        #expect(machine.tick(at: t0 + 43_200).naughtyExpired == [url])
        #expect(machine.snapshot(of: url, at: t0 + 43_200)?.misconfiguration == nil)
    }

    @Test func successTakesARelayOffTheList() {
        var machine = RelayHealthStateMachine()
        let action = machine.recordFailure(url, kind: .protocolError, at: t0)
        machine.recordSuccess(url, at: action.retryAt)
        #expect(machine.naughtyList.isNaughty(url, at: action.retryAt) == false)
        #expect(machine.naughtyList.counts(at: action.retryAt)[.protocolError] == 0)
    }
}
