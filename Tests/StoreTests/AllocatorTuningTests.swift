@testable import Store
import Testing

/// Issue 12, item 2: freed negentropy listings go back to the system. glibc takes the fixed
/// mmap threshold (blocks of 256 KiB and more get their own mappings, unmapped on free) and
/// the two arenas.
@Suite("Allocator tuning")
struct AllocatorTuningTests {
    @Test("glibc accepts the fixed mmap threshold and the arena count")
    func mmapThresholdAccepted() {
        #expect(AllocatorTuning.apply())
    }
}
