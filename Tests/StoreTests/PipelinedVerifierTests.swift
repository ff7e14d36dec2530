import Foundation
import Nostr
import Testing
@testable import Store

@Suite("PipelinedVerifier: verdicts in order while verification runs ahead")
struct PipelinedVerifierTests {
    /// `count` signed events; those at `broken` carry a signature for other content.
    private func events(_ count: Int, broken: Set<Int>) -> [NostrEvent] {
        (0..<count).map { i in
            let e = Keys.outsider.sign(kind: 1621, tags: [], content: "event \(i)", createdAt: t0 + Int64(i))
            guard broken.contains(i) else { return e }
            return NostrEvent(id: e.id, pubkey: e.pubkey, createdAt: e.createdAt, kind: e.kind, tags: e.tags, content: "forged \(i)", sig: e.sig)
        }
    }

    @Test(arguments: [(1, 0), (7, 1), (64, 1), (64, 3), (5, 0)])
    func everyVerdictMatchesSequentialVerification(chunkSize: Int, workers: Int) {
        let broken: Set<Int> = [0, 13, 64, 65, 199]
        let batch = events(200, broken: broken)
        let verifier = PipelinedVerifier(batch, chunkSize: chunkSize, workers: workers)
        for i in batch.indices {
            let verdict = verifier.verdict(at: i)
            #expect((verdict != nil) == broken.contains(i), "index \(i)")
        }
    }

    @Test func verdictsCanBeReadOutOfOrderAndTwice() {
        let batch = events(50, broken: [49])
        let verifier = PipelinedVerifier(batch, chunkSize: 4, workers: 1)
        #expect(verifier.verdict(at: 49) != nil)
        #expect(verifier.verdict(at: 0) == nil)
        #expect(verifier.verdict(at: 49) != nil)
    }

    @Test func emptyAndSingleEventBatches() {
        _ = PipelinedVerifier([])
        let one = events(1, broken: [])
        #expect(PipelinedVerifier(one).verdict(at: 0) == nil)
    }
}
