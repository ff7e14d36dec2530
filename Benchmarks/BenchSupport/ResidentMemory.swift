import Foundation

/// One reading of this process's memory from `/proc/self/status` (Linux; zeros where it is
/// unavailable). The served-path benchmarks run the node in the worker process, so these are
/// the node's figures.
public struct ResidentMemory: Codable, Sendable {
    /// `VmRSS`: resident now, in bytes.
    public var residentBytes: Int
    /// `RssAnon`: the anonymous part of `VmRSS` (heap, stacks): what the allocator holds.
    public var anonymousBytes: Int
    /// `RssFile`: the file-backed part of `VmRSS` (the binary, libraries and the store's
    /// memory-mapped database pages).
    public var fileBytes: Int
    /// `VmHWM`: most resident at once since the process started or `resetPeak()` last ran.
    public var peakBytes: Int

    /// Reads the current figures.
    public static func now() -> ResidentMemory {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
            return ResidentMemory(residentBytes: 0, anonymousBytes: 0, fileBytes: 0, peakBytes: 0)
        }
        var fields: [Substring: Int] = [:]
        for line in text.split(separator: "\n") {
            // "VmRSS:	  123456 kB"
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon]
            guard name == "VmRSS" || name == "RssAnon" || name == "RssFile" || name == "VmHWM" else { continue }
            let value = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            fields[name] = (value.flatMap { Int($0) } ?? 0) * 1024
        }
        return ResidentMemory(residentBytes: fields["VmRSS"] ?? 0, anonymousBytes: fields["RssAnon"] ?? 0,
                              fileBytes: fields["RssFile"] ?? 0, peakBytes: fields["VmHWM"] ?? 0)
    }

    /// Sets `VmHWM` back to the current `VmRSS` (writes `5` to `/proc/self/clear_refs`,
    /// Linux 4.0 and later), so a later `peakBytes` covers only what ran since. Returns
    /// whether the kernel took it.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }
}
