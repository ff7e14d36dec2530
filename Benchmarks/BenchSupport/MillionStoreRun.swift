import App
import Foundation
import Nostr
import Relay
import Store

/// The 1,000,000-event store scenario (DESIGN.md §6: under 300 MB RSS with 1,000,000 stored
/// events). Three steps, each in its own process (`SyncWorker million` runs them in turn):
///
/// 1. `million-corpus`: 1,000,000 pre-signed NIP-34 events over 5,000 repositories, written
///    once as JSON lines to the cache directory and reused while its header matches.
/// 2. `million-ingest`: the corpus read in batches of 10,000 and ingested (verify + policy +
///    SQLite) into a fresh peer database in the cache directory; the process holds the peer
///    store alone.
/// 3. `million-sync`: the peer database served over a loopback WebSocket by a child process
///    (`million-peer`), and the node in another child process per phase (`million-node`): a
///    full historic sync into an empty node, then a restart of the node on the same database
///    (no-change re-sync). Each process's RSS is sampled on its own (`MillionSyncRun`).
public enum MillionStoreRun {
    /// 1,000,000, or `GRASP_BENCH_MILLION_EVENTS` (a smaller store of the same shape, to
    /// compare against: files of their own in the cache directory).
    public static let eventCount = ProcessInfo.processInfo.environment["GRASP_BENCH_MILLION_EVENTS"].flatMap(Int.init) ?? 1_000_000
    /// One repository per 200 events (5,000 at 1,000,000).
    public static let repoCount = max(1, eventCount / 200)
    /// The cache file names' suffix for a store of another size.
    static var sizeSuffix: String { eventCount == 1_000_000 ? "" : "-\(eventCount)" }
    public static let seed: UInt64 = 0x6772_6173_7031_4d31
    /// Bump when the corpus's shape changes: a cached file with another version is regenerated.
    public static let corpusVersion = 1
    static let batchSize = 10_000
    /// Subscriptions the peer allows per connection (`RelayLimits` default: 50).
    public static let peerMaxSubscriptions = 1_000

    /// The first line of the corpus file.
    public struct CorpusHeader: Codable, Equatable, Sendable {
        public var format = "grasp-sync-bench-million"
        public var version = MillionStoreRun.corpusVersion
        public var count = MillionStoreRun.eventCount
        public var repos = MillionStoreRun.repoCount
        public var seed = MillionStoreRun.seed
    }

    // MARK: - Files

    /// `$GRASP_BENCH_CACHE`, else `~/.cache/grasp-sync-bench`.
    public static var cacheDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["GRASP_BENCH_CACHE"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/grasp-sync-bench")
    }

    public static var corpusFile: URL { cacheDirectory.appendingPathComponent("million-v\(corpusVersion)\(sizeSuffix).jsonl") }
    public static var peerDatabase: URL { cacheDirectory.appendingPathComponent("million-peer\(sizeSuffix).sqlite") }
    /// Written after a complete ingest: the header of the corpus the peer database holds.
    static var peerMarker: URL { cacheDirectory.appendingPathComponent("million-peer\(sizeSuffix).done") }

    static func headerLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try! encoder.encode(CorpusHeader()), as: UTF8.self)
    }

    /// Whether `url` starts with the expected header.
    static func hasCurrentHeader(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 4096),
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: 1).first,
              let header = try? JSONDecoder().decode(CorpusHeader.self, from: Data(line.utf8)) else { return false }
        return header == CorpusHeader()
    }

    // MARK: - Step 1: corpus

    public struct CorpusResult: Codable, Sendable {
        public var path: String
        public var reused: Bool
        /// Time to sign and write the corpus (0 when reused).
        public var generateSeconds: Double
        public var fileBytes: Int
    }

    /// Generates the corpus file unless a file with the current header is present.
    public static func ensureCorpus() throws -> CorpusResult {
        let file = corpusFile
        if hasCurrentHeader(file) {
            return CorpusResult(path: file.path, reused: true, generateSeconds: 0, fileBytes: fileSize(file))
        }
        try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        let partial = file.appendingPathExtension("partial")
        FileManager.default.createFile(atPath: partial.path, contents: nil)
        let handle = try FileHandle(forWritingTo: partial)
        let started = ContinuousClock.now
        var buffer = headerLine() + "\n"
        try generate { event in
            buffer += event.jsonText
            buffer += "\n"
            if buffer.utf8.count >= 4 << 20 {
                try handle.write(contentsOf: Data(buffer.utf8))
                buffer = ""
            }
        }
        try handle.write(contentsOf: Data(buffer.utf8))
        try handle.synchronize()
        try handle.close()
        _ = try? FileManager.default.removeItem(at: file)
        try FileManager.default.moveItem(at: partial, to: file)
        return CorpusResult(path: file.path, reused: false, generateSeconds: seconds(since: started), fileBytes: fileSize(file))
    }

    /// The corpus, event by event, in ingest order: the shape of `IngestCorpus` scaled up
    /// (announcements first, each listing the node and the peer; then one repository state per
    /// repository; then, in blocks of 10 per repository, 2 issues, a patch and a PR (the
    /// roots), 4 NIP-22 comments and 2 statuses on earlier roots of any repository).
    static func generate(_ emit: (NostrEvent) throws -> Void) throws {
        var random = SplitMix64(seed: seed)
        var keys: [NostrKeypair] = []
        while keys.count < 200 {
            let secret = (0..<4).flatMap { _ in withUnsafeBytes(of: random.next().bigEndian, Array.init) }
            if let key = NostrKeypair(secretKey: secret) { keys.append(key) }
        }
        let base: Int64 = 1_700_000_000
        let service = SyncRun.nodeURL.description, peer = SyncRun.peerURL.description
        var coordinates: [(coordinate: String, owner: String)] = []
        for r in 0..<repoCount {
            let owner = keys[r % keys.count]
            let a = owner.sign(kind: NIP34.repoAnnouncement,
                               tags: [["d", "repo-\(r)"], ["name", "repo \(r)"], ["description", "benchmark repository \(r)"],
                                      ["clone", "https://git.bench/repo-\(r).git"], ["relays", service, peer]],
                               content: "", createdAt: base + Int64(r))
            coordinates.append(("30617:\(a.pubkey):repo-\(r)", a.pubkey))
            try emit(a)
        }
        for r in 0..<repoCount {
            let commit = hex(&random, bytes: 20)
            try emit(keys[r % keys.count].sign(kind: NIP34.repoState,
                                               tags: [["d", "repo-\(r)"], ["refs/heads/main", commit], ["HEAD", "ref: refs/heads/main"]],
                                               content: "", createdAt: base + Int64(repoCount + r)))
        }
        var roots: [(id: String, kind: Int, pubkey: String)] = []
        roots.reserveCapacity(eventCount / 2)
        var emitted = 2 * repoCount
        var i = 0
        while emitted < eventCount {
            let (coordinate, owner) = coordinates[(i / 10) % repoCount]
            let author = keys[(i * 7) % keys.count]
            let created = base + 20_000 + Int64(i)
            let event: NostrEvent
            switch i % 10 {
            case 0, 1:
                event = author.sign(kind: NIP34.issue, tags: [["a", coordinate], ["p", owner], ["subject", "issue \(i)"], ["t", "bug"]],
                                    content: "issue body \(i): steps to reproduce, expected and actual behaviour", createdAt: created)
            case 2:
                event = author.sign(kind: NIP34.patch, tags: [["a", coordinate], ["p", owner], ["t", "root"], ["commit", hex(&random, bytes: 20)]],
                                    content: "diff --git a/src/file\(i % 97).c b/src/file\(i % 97).c\n--- a\n+++ b\n@@ -1 +1 @@\n-old \(i)\n+new \(i)\n",
                                    createdAt: created)
            case 3:
                event = author.sign(kind: NIP34.pullRequest,
                                    tags: [["a", coordinate], ["p", owner], ["subject", "pull request \(i)"], ["c", hex(&random, bytes: 20)],
                                           ["clone", "https://git.bench/fork-\(i).git"], ["branch-name", "feature-\(i)"]],
                                    content: "pull request \(i)", createdAt: created)
            case 4, 5, 6, 7:
                let root = roots[(i * 31) % roots.count]
                event = author.sign(kind: NIP34.comment,
                                    tags: [["E", root.id], ["K", String(root.kind)], ["P", root.pubkey], ["e", root.id],
                                           ["k", String(root.kind)], ["p", root.pubkey]],
                                    content: "comment \(i) on the change", createdAt: created)
            default:
                let root = roots[(i * 17) % roots.count]
                event = author.sign(kind: 1630 + (i / 10) % 4, tags: [["e", root.id, "", "root"], ["p", root.pubkey]],
                                    content: "", createdAt: created)
            }
            if NIP34.rootKinds.contains(event.kind) { roots.append((event.id, event.kind, event.pubkey)) }
            try emit(event)
            emitted += 1
            i += 1
        }
    }

    static func hex(_ random: inout SplitMix64, bytes: Int) -> String {
        var text = ""
        while text.utf8.count < bytes * 2 { text += String(format: "%016llx", random.next()) }
        return String(text.prefix(bytes * 2))
    }

    /// Reads the corpus in batches of `batchSize` parsed events.
    static func forEachBatch(_ body: ([NostrEvent]) throws -> Void) throws {
        guard hasCurrentHeader(corpusFile) else { throw RunError("no corpus at \(corpusFile.path): run `SyncWorker million-corpus`") }
        let handle = try FileHandle(forReadingFrom: corpusFile)
        defer { try? handle.close() }
        var pending = Data()
        var batch: [NostrEvent] = []
        batch.reserveCapacity(batchSize)
        var sawHeader = false
        func take(_ line: Data) throws {
            guard !line.isEmpty else { return }
            guard sawHeader else { sawHeader = true; return }
            batch.append(try NostrEvent(jsonText: String(decoding: line, as: UTF8.self)))
            if batch.count == batchSize {
                try body(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty {
            pending.append(chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try take(pending[start..<newline])
                start = newline + 1
            }
            pending = Data(pending[start...])
        }
        try take(pending)
        if !batch.isEmpty { try body(batch) }
    }

    // MARK: - Step 2: ingest into the peer's database

    public struct IngestFigures: Codable, Sendable {
        public var events: Int
        /// Time in `EventIngestor.ingest(batch:)` (verify + policy + store), not reading the file.
        public var ingestSeconds: Double
        public var eventsPerSecond: Double
        /// Reading and parsing the JSON lines plus ingesting.
        public var wallSeconds: Double
        /// The peer database after a `wal_checkpoint(TRUNCATE)`.
        public var databaseBytes: Int
        /// This process (the peer store alone) right after the last batch, before the checkpoint.
        public var memory: MemoryFigures
        /// The highest VmRSS / RssAnon / RssFile seen by a 0.25 s sampler during the ingest.
        public var sampledPeak: SampledPeak
    }

    /// Ingests the corpus into a fresh peer database in the cache directory.
    public static func ingest() throws -> IngestFigures {
        let fm = FileManager.default
        try? fm.removeItem(at: peerMarker)
        for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: peerDatabase.path + suffix) }
        let store = try SQLiteEventStore(path: peerDatabase.path)
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [SyncRun.nodeURL])),
                                     clock: ManualClock(start: 1_800_000_000))
        let sampler = RSSSampler()
        let started = ContinuousClock.now
        var ingesting = Duration.zero
        var events = 0
        try forEachBatch { batch in
            let t = ContinuousClock.now
            let results = ingestor.ingest(batch: batch)
            ingesting += ContinuousClock.now - t
            guard results.allSatisfy({ $0 == .saved }) else {
                throw RunError("the peer refused \(results.filter { $0 != .saved }.count) events of a batch (first: \(results.first { $0 != .saved }!))")
            }
            events += batch.count
        }
        let wall = seconds(since: started)
        let memory = MemoryFigures.now()
        let peak = sampler.stop()
        try store.checkpoint()
        try headerLine().write(to: peerMarker, atomically: true, encoding: .utf8)
        let ingestSeconds = seconds(ingesting)
        return IngestFigures(events: events, ingestSeconds: ingestSeconds, eventsPerSecond: Double(events) / ingestSeconds,
                            wallSeconds: wall, databaseBytes: fileSize(peerDatabase), memory: memory, sampledPeak: peak)
    }

    // MARK: - Helpers

    public struct RunError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    static func fileSize(_ url: URL) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? Int) ?? 0
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    static func seconds(since start: ContinuousClock.Instant) -> Double { seconds(ContinuousClock.now - start) }

    /// Resets VmHWM of this process (or `pid`) to its current RSS (Linux: `5` to
    /// /proc/<pid>/clear_refs).
    static func resetPeakResident(pid: Int32? = nil) {
        try? "5".write(toFile: "/proc/\(pid.map(String.init) ?? "self")/clear_refs", atomically: false, encoding: .utf8)
    }
}

/// What the resident set of a process consists of (Linux /proc; zeros elsewhere).
public struct MemoryFigures: Codable, Sendable {
    /// VmRSS.
    public var residentBytes: Int
    /// VmHWM.
    public var peakResidentBytes: Int
    /// RssAnon: heap and other private anonymous memory (Swift objects, SQLite's page
    /// caches, malloc arenas).
    public var anonymousBytes: Int
    /// RssFile: file pages mapped into the process (the binary and libraries, and the
    /// databases' memory maps).
    public var fileBytes: Int
    /// Resident pages of each mapped database file (`*.sqlite` through `mmap_size`, `*-shm`),
    /// by file name, summed over every connection's mapping (each connection maps the file
    /// on its own, and the kernel counts a page once per mapping it is in).
    public var mappedFiles: [String: Int]
    /// `sqlite3_memory_used()`: everything SQLite allocated in the process (its stores' page
    /// caches, schemas, statements), part of `anonymousBytes`. Nil when read from another
    /// process.
    public var sqliteHeapBytes: Int?

    /// This process.
    public static func now() -> MemoryFigures {
        var figures = of(process: "self")
        figures.sqliteHeapBytes = SQLiteEventStore.processHeapBytes
        return figures
    }

    /// Process `pid` (another process of the same user), without SQLite's own count.
    public static func of(pid: Int32) -> MemoryFigures { of(process: String(pid)) }

    static func of(process: String) -> MemoryFigures {
        let status = procStatus(process)
        return MemoryFigures(residentBytes: status["VmRSS"] ?? 0, peakResidentBytes: status["VmHWM"] ?? 0,
                             anonymousBytes: status["RssAnon"] ?? 0, fileBytes: status["RssFile"] ?? 0,
                             mappedFiles: mappedDatabaseFiles(process), sqliteHeapBytes: nil)
    }

    /// The kB fields of /proc/<process>/status, in bytes (`process`: a pid or `self`).
    static func procStatus(_ process: String = "self") -> [String: Int] {
        guard let text = try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8) else { return [:] }
        var fields: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            if parts.count == 3, parts[2] == "kB", let kb = Int(parts[1]) { fields[String(parts[0])] = kb * 1024 }
        }
        return fields
    }

    static func mappedDatabaseFiles(_ process: String) -> [String: Int] {
        // Read to the end by hand: /proc files report a size of 0.
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(process)/smaps") else { return [:] }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        var result: [String: Int] = [:]
        var current: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":"), fields.count >= 5 {
                let path = fields.count >= 6 ? fields[5...].joined(separator: " ") : ""
                let name = (path as NSString).lastPathComponent
                current = name.hasSuffix(".sqlite") || name.hasSuffix(".sqlite-shm") ? name : nil
            } else if let name = current, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
                result[name, default: 0] += kb * 1024
            }
        }
        return result
    }
}

/// Highest values seen by `RSSSampler`, and VmRSS over time.
public struct SampledPeak: Codable, Sendable {
    public var residentBytes = 0
    public var anonymousBytes = 0
    public var fileBytes = 0
    public var samples = 0
    /// VmRSS every `RSSSampler.courseInterval` seconds, in MB (10^6 bytes), from the start.
    public var residentMegabytesCourse: [Double] = []
}

/// Reads /proc/<pid>/status (this process by default) every 0.25 s on its own thread and
/// keeps the highest values; `take()` returns them and starts over (one sampler, several
/// phases).
final class RSSSampler: @unchecked Sendable {
    static let courseInterval = 5.0
    private let process: String
    private let lock = NSLock()
    private var peak = SampledPeak()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(pid: Int32? = nil) {
        process = pid.map(String.init) ?? "self"
        let thread = Thread { [self] in
            let perCourse = Int(Self.courseInterval / 0.25)
            while lock.withLock({ running }) {
                sample(course: lock.withLock { peak.samples % perCourse == 0 })
                Thread.sleep(forTimeInterval: 0.25)
            }
            done.signal()
        }
        thread.name = "rss-sampler"
        thread.start()
    }

    private func sample(course: Bool = false) {
        let status = MemoryFigures.procStatus(process)
        lock.withLock {
            let rss = status["VmRSS"] ?? 0
            peak.residentBytes = max(peak.residentBytes, rss)
            peak.anonymousBytes = max(peak.anonymousBytes, status["RssAnon"] ?? 0)
            peak.fileBytes = max(peak.fileBytes, status["RssFile"] ?? 0)
            peak.samples += 1
            if course { peak.residentMegabytesCourse.append((Double(rss) / 100_000).rounded() / 10) }
        }
    }

    /// The figures since the start or the last `take()`, and a fresh start.
    func take() -> SampledPeak {
        sample()
        return lock.withLock {
            defer { peak = SampledPeak() }
            return peak
        }
    }

    func stop() -> SampledPeak {
        let result = take()
        lock.withLock { running = false }
        done.wait()
        return result
    }
}
