@testable import Reconcile
import Testing

@Suite("IdFetchLedger: each missing id fetched once across side-by-side sessions")
struct IdFetchLedgerTests {
    /// A distinct id per number.
    private func id(_ n: UInt64) -> NegentropyID { NegentropyID(w0: 0, w1: 0, w2: 0, w3: n) }

    @Test func disjointClaimsOwnEverything() async {
        let ledger = IdFetchLedger()
        let a = await ledger.claim([id(1), id(2)])
        let b = await ledger.claim([id(3), id(3)])
        #expect(a.mine == [id(1), id(2)] && a.theirs.isEmpty)
        #expect(b.mine == [id(3)] && b.theirs.isEmpty, "duplicates within one claim are claimed once")
        #expect(await ledger.claimedCount == 3)
    }

    @Test func overlapWaitsForTheOwnerAndInheritsWhatItMissed() async {
        let ledger = IdFetchLedger()
        let a = await ledger.claim([id(1), id(2), id(3)])
        let b = await ledger.claim([id(2), id(3), id(4)])
        #expect(b.mine == [id(4)])
        #expect(b.theirs == [a.token: [id(2), id(3)]])
        await ledger.release(b, missing: [])
        // b waits on a's outcome; a misses "3" (and "1", which b never wanted).
        let waiting = Task { await ledger.missingOfOthers(b) }
        await ledger.release(a, missing: [id(1), id(3)])
        #expect(await waiting.value == [id(3)])
        #expect(await ledger.missingOfOthers(a).isEmpty)
        #expect(await ledger.claimedCount == 0)
    }

    @Test func anOwnerThatFinishedFirstStillAnswersItsWaiters() async {
        let ledger = IdFetchLedger()
        let a = await ledger.claim([id(1)])
        let b = await ledger.claim([id(1)])
        let c = await ledger.claim([id(1)])
        await ledger.release(a, missing: [id(1)])
        await ledger.release(b, missing: [])
        await ledger.release(c, missing: [])
        #expect(await ledger.missingOfOthers(b) == [id(1)])
        #expect(await ledger.missingOfOthers(c) == [id(1)], "the outcome is kept until every waiter has read it")
    }

    @Test func releasedIdsCanBeClaimedAgain() async {
        let ledger = IdFetchLedger()
        let a = await ledger.claim([id(1)])
        await ledger.release(a, missing: [id(1)])
        let b = await ledger.claim([id(1)])
        #expect(b.mine == [id(1)] && b.theirs.isEmpty)
    }

    @Test func twoFetchesWaitingOnEachOtherBothFinish() async {
        let ledger = IdFetchLedger()
        let a = await ledger.claim([id(1), id(2)])
        let b = await ledger.claim([id(2), id(3)])
        let c = await ledger.claim([id(3), id(1)])
        // Each releases its own, then waits on the others (any order).
        let waits = [b, c, a].map { claim in Task { await ledger.release(claim, missing: []); return await ledger.missingOfOthers(claim) } }
        for w in waits { #expect(await w.value.isEmpty) }
    }

    @Test func idsAlreadyFetchedOverTheConnectionAreNotClaimedAgain() async {
        let ledger = IdFetchLedger()
        let a = await ledger.claim([id(1), id(2)])
        await ledger.release(a, missing: [id(2)])
        // A reconciliation that listed its local side before `a` ended still finds 1 and 2
        // missing: 1 was fetched (left out), 2 was not (claimed again).
        let b = await ledger.claim([id(1), id(2)])
        #expect(b.mine == [id(2)] && b.theirs.isEmpty)
    }

    @Test func theDeliveredRecordIsBoundedAndKeepsTheNewestIds() async {
        let ledger = IdFetchLedger(deliveredLimit: 4)
        let a = await ledger.claim([id(1), id(2)])
        await ledger.release(a, missing: [])
        let b = await ledger.claim([id(3), id(4)])
        await ledger.release(b, missing: [])
        // 1 and 2 are the older generation, 3 and 4 the newer: all remembered.
        #expect(await ledger.claim([id(1), id(2), id(3), id(4)]).mine.isEmpty)
        let c = await ledger.claim([id(5)])
        await ledger.release(c, missing: [])
        // Remembering 5 dropped the oldest generation (1, 2): they may be fetched again
        // (never lost); 3, 4 and 5 are still known.
        let d = await ledger.claim([id(1), id(2), id(3), id(4), id(5)])
        #expect(d.mine == [id(1), id(2)])
    }
}
