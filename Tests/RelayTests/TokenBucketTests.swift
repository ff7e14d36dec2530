import Relay
import Testing

/// The token bucket alone, in virtual time (time is an argument).
@Suite struct TokenBucketTests {
    /// Takes at each time in `times`; which takes succeeded.
    static func takes(_ bucket: inout TokenBucket, at times: [Double]) -> [Bool] {
        times.map { bucket.take(now: $0) }
    }

    @Test func burstThenRefillAtTheRate() {
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 2, now: 100)
        #expect(Self.takes(&bucket, at: [100, 100, 100, 100]) == [true, true, true, false])
        #expect(bucket.secondsUntilToken(now: 100) == 0.5)
        #expect(Self.takes(&bucket, at: [100.4, 100.5]) == [false, true])
        // A long pause refills to the capacity, never beyond.
        #expect(bucket.isFull(now: 1_000))
        #expect(Self.takes(&bucket, at: [1_000, 1_000, 1_000, 1_000]) == [true, true, true, false])
    }

    @Test func clockSteppingBackRefillsNothing() {
        var bucket = TokenBucket(capacity: 1, refillPerSecond: 1, now: 50)
        #expect(Self.takes(&bucket, at: [50, 10, 50.5, 51]) == [true, false, false, true])
    }

    @Test func zeroRateNeverRefills() {
        var bucket = TokenBucket(capacity: 1, refillPerSecond: 0, now: 0)
        #expect(Self.takes(&bucket, at: [0, 1_000_000]) == [true, false])
        #expect(bucket.secondsUntilToken(now: 5) == nil)
    }
}
