@testable import Store
import Testing

/// Served pages count toward a heap trim: the counter fires once per threshold crossed and
/// starts over.
@Suite struct TransientByteCounterTests {
    @Test("fires when the total reaches the threshold, then counts from zero")
    func firesAtThresholdAndResets() {
        let counter = TransientByteCounter()
        #expect(!counter.add(600, threshold: 1_000))
        #expect(!counter.add(399, threshold: 1_000))
        #expect(counter.add(1, threshold: 1_000))
        #expect(!counter.add(999, threshold: 1_000), "counted from zero after firing")
        #expect(counter.add(5_000, threshold: 1_000))
    }
}
