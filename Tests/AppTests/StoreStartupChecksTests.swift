import App
import Foundation
import Logging
import Nostr
import Store
import Testing

/// Issue 12, item 4: the node refuses to start on a damaged database or a data directory it
/// cannot write, with a message naming the file and the remedy.
@Suite("Start-up checks of the data directory and the database", .serialized)
struct StoreStartupChecksTests {
    static let logger = Logger(label: "test.startup")

    static func directory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("startup-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `count` kind-1 notes by one key (the store does not apply the policy).
    static func events(_ count: Int, from start: Int = 0) -> [NostrEvent] {
        let key = NostrKeypair.generate()
        return (start..<(start + count)).map {
            key.sign(kind: 1, tags: [["t", "n\($0)"]], content: "note \($0) " + String(repeating: "x", count: 200), createdAt: 1_700_000_000 + Int64($0))
        }
    }

    static func configuration(_ directory: URL) -> NodeConfiguration {
        var config = NodeConfiguration(port: 7447, dataDirectory: directory)
        config.syncEnabled = false
        return config
    }

    /// The start-up error, or nil if the node started.
    static func startError(_ directory: URL) -> String? {
        do {
            _ = try GraspSyncNode(configuration: configuration(directory), logger: logger)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("a healthy database starts")
    func healthyStarts() throws {
        let dir = try Self.directory("healthy")
        do {
            let store = try SQLiteEventStore(path: dir.appendingPathComponent("grasp-sync.sqlite").path)
            _ = try store.insert(batch: Self.events(500))
        }
        #expect(Self.startError(dir) == nil)
    }

    @Test("64 KiB of garbage inside the database: start refused naming the file, quick_check and the remedy")
    func garbageInsideRefused() throws {
        let dir = try Self.directory("garbage")
        let path = dir.appendingPathComponent("grasp-sync.sqlite").path
        do {
            let store = try SQLiteEventStore(path: path)
            _ = try store.insert(batch: Self.events(3000))
            try store.checkpoint()
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size > 256 * 1024)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(size / 2))
        var generator = SystemRandomNumberGenerator()
        try handle.write(contentsOf: Data((0..<(64 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try handle.close()

        let error = try #require(Self.startError(dir), "the node started on a damaged database")
        #expect(error.contains(path))
        #expect(error.contains("quick_check"))
        #expect(error.contains("Remedy"))
    }

    @Test("a database truncated to half with its WAL kept: start refused")
    func truncatedWithWALRefused() throws {
        let source = try Self.directory("trunc-src")
        let dir = try Self.directory("trunc")
        let path = dir.appendingPathComponent("grasp-sync.sqlite").path
        let store = try SQLiteEventStore(path: source.appendingPathComponent("grasp-sync.sqlite").path)
        _ = try store.insert(batch: Self.events(3000))
        try store.checkpoint()
        _ = try store.insert(batch: Self.events(500, from: 3000))
        // A copy of the files of the running store (as a crash or a file-level backup leaves
        // them): the main file and its WAL, then the main file cut to half.
        for suffix in ["", "-wal"] {
            try FileManager.default.copyItem(atPath: source.appendingPathComponent("grasp-sync.sqlite").path + suffix, toPath: path + suffix)
        }
        withExtendedLifetime(store) {}
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(truncate(path, off_t(size / 2)) == 0)

        let error = try #require(Self.startError(dir), "the node started on a truncated database")
        #expect(error.contains(path))
        #expect(error.contains("Remedy"))
    }

    @Test("a data directory that is not writable: start refused naming the directory")
    func readOnlyDirectoryRefused() throws {
        let dir = try Self.directory("readonly")
        do {
            let store = try SQLiteEventStore(path: dir.appendingPathComponent("grasp-sync.sqlite").path)
            _ = try store.insert(batch: Self.events(100))
        }
        let readOnly = try ReadOnlyDirectory(dir)
        defer { readOnly.restore() }
        let error = try #require(Self.startError(dir), "the node started on a read-only data directory")
        #expect(error.contains(dir.path))
        #expect(error.contains("not writable"))
    }
}

/// Makes a directory read-only: permissions for an ordinary user; root ignores those, so as
/// root a read-only bind mount of the directory onto itself.
struct ReadOnlyDirectory {
    let url: URL
    let mounted: Bool

    init(_ url: URL) throws {
        self.url = url
        if getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: url.path)
            mounted = false
        } else {
            guard Self.run("/bin/mount", ["--bind", url.path, url.path]) else { throw ReadOnlyError.cannotMount }
            guard Self.run("/bin/mount", ["-o", "remount,ro,bind", url.path]) else {
                _ = Self.run("/bin/umount", [url.path])
                throw ReadOnlyError.cannotMount
            }
            mounted = true
        }
    }

    func restore() {
        if mounted { _ = Self.run("/bin/umount", [url.path]) } else {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
    }

    enum ReadOnlyError: Error { case cannotMount }

    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
