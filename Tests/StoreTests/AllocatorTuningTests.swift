@testable import Store
import Testing

/// Issue 12, item 2: freed negentropy listings go back to the system. glibc takes the fixed
/// mmap threshold (blocks of 256 KiB and more get their own mappings, unmapped on free).
@Suite("Allocator tuning")
struct AllocatorTuningTests {
    @Test("glibc accepts the fixed mmap threshold")
    func mmapThresholdAccepted() {
        #expect(AllocatorTuning.apply())
    }
}
