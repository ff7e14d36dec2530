import App
import Foundation

/// Reads a file (or standard input) as lines of UTF-8 text in large chunks, counting bytes
/// read so progress can be shown against the file size. Blank lines are skipped; `\r\n`
/// endings are accepted.
public final class JSONLineReader {
    private let handle: FileHandle
    private let closeAtEnd: Bool
    private var buffer = Data()
    private var position = 0
    private var atEnd = false
    /// Bytes consumed from the input so far.
    public private(set) var bytesRead: Int64 = 0
    /// Lines handed out so far (blank ones included), for error messages.
    public private(set) var lineNumber = 0
    /// The input's size when known (a regular file), for the ETA.
    public let totalBytes: Int64?

    /// Opens `path`, or standard input when `path` is nil or `-`.
    public init(path: String?) throws {
        if let path, path != "-" {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ToolError.input("cannot open \(path) for reading")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ToolError.input("\(path) is a directory")
            }
            self.handle = handle
            closeAtEnd = true
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            totalBytes = size
        } else {
            handle = FileHandle.standardInput
            closeAtEnd = false
            totalBytes = nil
        }
    }

    /// The next non-blank line with its line number, or nil at the end of the input.
    public func next() throws -> (number: Int, text: String)? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var line = buffer[position..<newline]
                position = newline + 1
                lineNumber += 1
                if line.last == 0x0D { line = line.dropLast() }
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                return (lineNumber, String(decoding: line, as: UTF8.self))
            }
            if atEnd {
                guard position < buffer.endIndex else { return nil }
                let line = buffer[position...]
                position = buffer.endIndex
                lineNumber += 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
                return (lineNumber, String(decoding: line, as: UTF8.self))
            }
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty {
                atEnd = true
                if closeAtEnd { try? handle.close() }
            } else {
                bytesRead += Int64(chunk.count)
                // Keep only the unread tail, re-based at index 0.
                buffer = Data(buffer[position...]) + chunk
                position = 0
            }
        }
    }
}

/// A refusal of a tool's input or setting, with a message for the operator.
public enum ToolError: Error, CustomStringConvertible {
    case input(String)
    case setup(String)
    case remote(String)

    public var description: String {
        switch self {
        case .input(let s), .setup(let s), .remote(let s): return s
        }
    }
}
