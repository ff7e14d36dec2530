import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What glibc's allocator holds, from `malloc_info` (all arenas): bytes handed out and not
/// yet freed, and freed bytes it keeps instead of returning them to the kernel. Together with
/// `RssAnon` this tells a leak (in use grows) from memory the allocator kept (free grows).
/// Zeros where glibc's functions are not found.
public struct AllocatorStats: Codable, Sendable {
    /// Obtained from the kernel for the arenas, plus the chunks mmapped on their own.
    public var systemBytes: Int
    /// Freed but held by the arenas (fast bins and the rest).
    public var freeHeldBytes: Int
    /// Allocated and not freed: `systemBytes - freeHeldBytes`.
    public var inUseBytes: Int

    // Neither function is in Swift's Glibc module (malloc.h), so they are looked up.
    private typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    private static func lookup<F>(_ name: String, as type: F.Type) -> F? {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, name) else { return nil }  // nil: RTLD_DEFAULT
        return unsafeBitCast(symbol, to: type)
        #else
        return nil
        #endif
    }

    /// Reads the current figures (walks every arena: a few milliseconds).
    public static func now() -> AllocatorStats {
        var stats = AllocatorStats(systemBytes: 0, freeHeldBytes: 0, inUseBytes: 0)
        #if canImport(Glibc)
        guard let mallocInfo = lookup("malloc_info", as: MallocInfo.self) else { return stats }
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0
        guard let stream = open_memstream(&buffer, &length) else { return stats }
        _ = mallocInfo(0, stream)
        fclose(stream)
        guard let buffer else { return stats }
        defer { free(buffer) }
        let xml = String(cString: buffer)
        // The totals over all arenas follow the last `</heap>`:
        // <total type="fast" count=".." size=".."/><total type="rest" .../><total type="mmap" .../>
        // <system type="current" size=".."/>
        let totals = xml.range(of: "</heap>", options: .backwards).map { String(xml[$0.upperBound...]) } ?? xml
        func size(_ element: String, _ type: String) -> Int {
            guard let start = totals.range(of: "<\(element) type=\"\(type)\"") else { return 0 }
            let rest = totals[start.upperBound...]
            guard let attribute = rest.range(of: "size=\"") else { return 0 }
            return Int(rest[attribute.upperBound...].prefix(while: \.isNumber)) ?? 0
        }
        stats.freeHeldBytes = size("total", "fast") + size("total", "rest")
        stats.systemBytes = size("system", "current") + size("total", "mmap")
        stats.inUseBytes = stats.systemBytes - stats.freeHeldBytes
        #endif
        return stats
    }

    /// Asks glibc to return free arena memory to the kernel (`malloc_trim(0)`), which the node
    /// itself never does: a diagnostic, run only after the figures it would change were taken.
    public static func trim() {
        _ = lookup("malloc_trim", as: MallocTrim.self)?(0)
    }
}
