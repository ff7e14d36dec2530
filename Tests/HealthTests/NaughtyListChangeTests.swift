import Foundation
import Health
import Nostr
import Testing

/// The tracker reports every naughty-list change to its observer (what the naughty-list
/// metrics are fed from).
@Suite("Relay health tracker: naughty-list changes")
struct NaughtyListChangeTests {
    let url = HealthFixture.url
    let t0 = HealthFixture.t0

    /// Collects what a tracker reports.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var reported: [NaughtyListChange] = []
        func record(_ change: NaughtyListChange) { lock.withLock { reported.append(change) } }
        /// Everything reported since the last call.
        func take() -> [NaughtyListChange] { lock.withLock { defer { reported = [] }; return reported } }
    }

    @Test func listingUpdatesAndSuccessAreReported() async throws {
        let clock = ManualClock()
        let recorder = Recorder()
        let tracker = RelayHealthTracker(now: { clock.now() }, random: SplitMix64(seed: 1), onNaughtyListChange: recorder.record)
        await tracker.recordFailure(url, kind: .timeout, message: "timed out")
        #expect(recorder.take().isEmpty)  // Transient failures never touch the list.

        await tracker.recordFailure(url, kind: .protocolError, message: "websocket handshake failed: 404")
        let first = try #require(await tracker.naughtyEntries().first)
        #expect(recorder.take() == [.listed(first)])
        #expect(first.count == 1 && first.category == .protocolError)

        clock.advance(by: 10)
        await tracker.recordFailure(url, errorText: "websocket handshake failed: 403")
        let second = try #require(await tracker.naughtyEntries().first)
        #expect(recorder.take() == [.listed(second)])
        #expect(second.count == 2 && second.reason == "websocket handshake failed: 403")

        await tracker.recordSuccess(url)
        #expect(recorder.take() == [.removed(url: url)])
        await tracker.recordSuccess(url)
        #expect(recorder.take().isEmpty)  // Not listed any more: nothing to report.
    }

    @Test func expiryFoundByTickAndRemovalAreReported() async {
        let clock = ManualClock()
        let recorder = Recorder()
        let other = "wss://other.example.com"
        let tracker = RelayHealthTracker(
            configuration: HealthConfiguration(naughtyListExpiry: 100), now: { clock.now() }, random: SplitMix64(seed: 2),
            onNaughtyListChange: recorder.record)
        await tracker.recordFailure(url, kind: .dns, message: "no such host")
        await tracker.recordFailure(other, kind: .tlsCertificate, message: "expired certificate")
        #expect(recorder.take().count == 2)

        await tracker.remove(other)
        #expect(recorder.take() == [.removed(url: other)])
        clock.advance(by: 99)
        await tracker.tick()
        #expect(recorder.take().isEmpty)
        clock.advance(by: 1)
        await tracker.tick()
        #expect(recorder.take() == [.removed(url: url)])
        #expect(await tracker.naughtyCounts()[.dnsLookupFailed] == 0)
    }
}
