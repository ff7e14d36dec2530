import Foundation
import Testing

/// Swift 6.3.1 -O miscompiles a dropped `Array(<dictionary keys or values, or a set>)` inside
/// a loop: the new array's storage is released before the elements are copied into it
/// (heap-use-after-free; it crashed the engine's release build once, see
/// docs/architecture.md). Debug tests cannot meet it, so the sources are checked for the
/// pattern instead.
@Suite struct DroppedArrayPatternTests {
    @Test("no source drops the result of Array(...)")
    func noDroppedArrayConversions() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        let pattern = try Regex(#"_\s*=\s*(Array|ContiguousArray)\s*\("#)
        var offenders: [String] = []
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(pattern) && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                offenders.append("\(file.lastPathComponent):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(offenders.isEmpty, "dropped Array(...) conversions: \(offenders)")
        #expect(FileManager.default.fileExists(atPath: sources.appendingPathComponent("Layers/LiveSubscriptionSet.swift").path),
                "the scan reads the package's Sources")
    }
}
