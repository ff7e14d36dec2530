import App
import Foundation
import Layers
import Logging
import Nostr
import Relay
import Store
import Transport
import TransportTestKit
#if canImport(Glibc)
import Glibc
#endif

/// Step 3 of the 1,000,000-event scenario (`SyncWorker million-sync`): the node measured on
/// its own, in three processes:
///
/// - the **peer** (`SyncWorker million-peer`): the ingested peer database behind a
///   `NostrRelay` on the real WebSocket endpoint (`RelayServer`, permessage-deflate offered,
///   as the node serves) on a free loopback port; it prints its URL, serves until its stdin is
///   closed, then prints its own memory figures;
/// - the **node** (`SyncWorker million-node full|resync <url> <database>`), one process per
///   phase: an empty node database synced from the peer in full, then a new process on the
///   same database (a restart past the quick-reconnect window: the no-change re-sync). The
///   node dials the peer through the production `WebSocketRelayTransport` (loopback allowed),
///   sees it as a GRASP server (stubbed NIP-11, as `SyncRun` does) and samples its own RSS;
/// - this process, which starts both, samples the peer's RSS from /proc/<pid> during each
///   node phase, and prints everything as one JSON line.
///
/// Both children apply the allocator setting the node applies at start-up
/// (`AllocatorTuning`: a fixed 256 KiB mmap threshold) unless `GRASP_BENCH_MALLOC_DEFAULT=1`.
/// Environment variables such as `MALLOC_ARENA_MAX` reach both children.
public enum MillionSyncRun {
    public enum Phase: String, Codable, Sendable {
        /// An empty node database synced in full.
        case full
        /// A restart on the synced database past the quick-reconnect window: the no-change re-sync.
        case resync
        /// The re-sync again, with the node's store also served on loopback (a `NostrRelay`
        /// with the node's defaults behind `RelayServer`) and read-load clients in a child
        /// process (`SyncWorker read-load`, 20 clients x 50 REQs, run again until the sync is
        /// done): the node's memory while it serves and syncs.
        case serve
    }

    // MARK: - The node (one process per phase)

    /// What one node process reports.
    public struct NodePhase: Codable, Sendable {
        public var phase: Phase
        /// From the coordinator's `start()` returning to the peer reaching Connected.
        public var milliseconds: Double
        /// `start()` itself (persisted state, desired index preloaded from the store).
        public var startMilliseconds: Double
        /// JSON text of the messages each way (before permessage-deflate).
        public var bytesNodeToPeer: Int
        public var bytesPeerToNode: Int
        public var storedEvents: Int
        /// The process right after `start()` (the persisted state loaded and the desired index
        /// preloaded from the store; before any traffic), and glibc then.
        public var afterStart: MemoryFigures
        public var allocatorAfterStart: AllocatorStats
        /// Stored events every 30 s from `start()` returning.
        public var storedEventsCourse: [Int]
        /// The node process at the end of the phase (VmHWM: the process's peak, since it ran
        /// this phase only), SQLite's heap included.
        public var memory: MemoryFigures
        /// Highest VmRSS / RssAnon / RssFile sampled every 0.25 s, and VmRSS every 5 s.
        public var sampledPeak: SampledPeak
        /// The read-load runs against the node's served store (the `serve` phase only).
        public var readLoad: [ReadLoad.Result]?
        /// glibc at the end of the phase: in use, and freed but kept.
        public var allocator: AllocatorStats
        /// The process after `malloc_trim(0)` (a diagnostic, taken after everything above).
        public var afterTrim: MemoryFigures
        /// Whether the node's mmap threshold was applied.
        public var allocatorTuned: Bool
    }

    /// Runs one phase of the node against the peer at `peerURL`, on the database at `database`.
    public static func runNode(_ phase: Phase, peerURL: String, database: String) async throws -> NodePhase {
        let tuned = tuneAllocator()
        bootstrapLogging()
        let sampler = RSSSampler()
        guard let target = RelayURL(peerURL) else { throw MillionStoreRun.RunError("not a relay URL: \(peerURL)") }
        let store = try SQLiteEventStore(path: database)
        let transport = LoopbackPeerTransport(peer: SyncRun.peerURL, target: target)
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [SyncRun.nodeURL])))
        let configuration = SyncConfiguration(bootstrapRelays: [SyncRun.peerURL], ownURLs: [SyncRun.nodeURL], batchWindow: 0.05,
                                              quickReconnectWindow: phase == .full ? 900 : 0, settleDelay: 0.2)
        let coordinator = SyncCoordinator(configuration: configuration, ingestor: ingestor, transport: transport,
                                          logger: Logger(label: "bench.node.sync"),
                                          relayInformation: SyncRun.PeerInformation(graspServer: true))
        let clock = ContinuousClock()
        let started = clock.now
        let sync: @Sendable () async throws -> NodePhase = {
            await coordinator.start()
            let afterStart = clock.now
            let memoryAfterStart = MemoryFigures.now()
            let allocatorAfterStart = AllocatorStats.now()
            var course: [Int] = []
            var nextMark = afterStart + .seconds(30)
            while await coordinator.relayStatus(SyncRun.peerURL) != .connected {
                await coordinator.tick()
                try? await Task.sleep(nanoseconds: 20_000_000)
                if clock.now >= nextMark {
                    let count = (try? store.totalCount()) ?? -1
                    course.append(count)
                    FileHandle.standardError.write(Data("million-node \(phase.rawValue): \(course.count * 30) s, \(count) events, RSS \(MemoryFigures.procStatus()["VmRSS"].map { $0 >> 20 } ?? 0) MiB\n".utf8))
                    nextMark = nextMark + .seconds(30)
                }
            }
            let end = clock.now
            await coordinator.stop()
            return NodePhase(phase: phase, milliseconds: milliseconds(end - afterStart), startMilliseconds: milliseconds(afterStart - started),
                             bytesNodeToPeer: transport.traffic.sent, bytesPeerToNode: transport.traffic.received,
                             storedEvents: try store.totalCount(), afterStart: memoryAfterStart, allocatorAfterStart: allocatorAfterStart,
                             storedEventsCourse: course, memory: .now(), sampledPeak: SampledPeak(),
                             allocator: AllocatorStats.now(), afterTrim: .now(), allocatorTuned: tuned)
        }
        var result: NodePhase
        if phase == .serve {
            let relay = NostrRelay(ingestor: ingestor, logger: ServedRelay.quietLogger("bench.node.relay"))
            result = try await ServedRelay.serve(relay) { url in
                let done = SyncDone()
                async let loads: [ReadLoad.Result] = {
                    var runs: [ReadLoad.Result] = []
                    repeat {
                        runs.append(try await ChildWorker.run(ReadLoad.Result.self, arguments: ["read-load", url, "20", "50"]))
                    } while !done.value
                    return runs
                }()
                let synced = try await sync()
                done.value = true
                var phaseResult = synced
                phaseResult.readLoad = try await loads
                return phaseResult
            }
        } else {
            result = try await sync()
        }
        result.memory = .now()
        result.sampledPeak = sampler.stop()
        result.allocator = AllocatorStats.now()
        AllocatorStats.trim()
        result.afterTrim = MemoryFigures.now()
        return result
    }

    /// Set once the sync of a `serve` phase is done (read by the load loop).
    final class SyncDone: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        var value: Bool {
            get { lock.withLock { done } }
            set { lock.withLock { done = newValue } }
        }
    }

    // MARK: - The peer (one process for both phases)

    /// What the peer process reports when it is told to stop.
    public struct PeerReport: Codable, Sendable {
        /// The peer process at the end (VmHWM: since the last reset by the parent), SQLite's heap included.
        public var memory: MemoryFigures
        public var allocator: AllocatorStats
        public var allocatorTuned: Bool
    }

    /// Serves the peer database until stdin is closed; prints the WebSocket URL first.
    public static func servePeer() async throws -> PeerReport {
        guard MillionStoreRun.hasCompletePeerDatabase else {
            throw MillionStoreRun.RunError("no complete peer database at \(MillionStoreRun.peerDatabase.path): run `SyncWorker million-ingest`")
        }
        let tuned = tuneAllocator()
        let peerStore = try SQLiteEventStore(path: MillionStoreRun.peerDatabase.path)
        // The default 50 subscriptions per connection are not enough for the engine at 5,000
        // repositories: it opened more live subscriptions than that and the peer closed them
        // (and then historic batches), so this peer allows 1,000.
        let relay = NostrRelay(ingestor: EventIngestor(store: peerStore,
                                                       policy: AcceptancePolicy(configuration: .init(serviceURLs: [SyncRun.nodeURL])),
                                                       clock: ManualClock(start: 1_800_000_000)),
                               information: RelayInformation(limits: RelayLimits(maxSubscriptions: MillionStoreRun.peerMaxSubscriptions)),
                               logger: ServedRelay.quietLogger("bench.peer"))
        try await ServedRelay.serve(relay) { url in
            FileHandle.standardOutput.write(Data((url + "\n").utf8))
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Thread.detachNewThread {
                    _ = FileHandle.standardInput.readDataToEndOfFile()
                    done.resume()
                }
            }
        }
        return PeerReport(memory: .now(), allocator: .now(), allocatorTuned: tuned)
    }

    // MARK: - The run (this process starts the others)

    /// The peer process during one node phase.
    public struct PeerSide: Codable, Sendable {
        /// Highest VmRSS / RssAnon / RssFile sampled every 0.25 s from /proc/<pid>, and VmRSS every 5 s.
        public var sampledPeak: SampledPeak
        /// At the end of the phase (VmHWM reset just before it, when the kernel allows).
        public var end: MemoryFigures
    }

    public struct PhaseResult: Codable, Sendable {
        public var node: NodePhase
        public var peer: PeerSide
        /// /proc/loadavg before and after the phase.
        public var loadBefore: String
        public var loadAfter: String
        /// Wall time of the node process, start to exit.
        public var processSeconds: Double
    }

    public struct Result: Codable, Sendable {
        public var peerURL: String
        /// The peer process once it serves, before the node exists.
        public var peerReady: MemoryFigures
        public var full: PhaseResult
        public var resync: PhaseResult
        /// The re-sync once more while the node serves read load (`Phase.serve`).
        public var serve: PhaseResult
        public var peerFinal: PeerReport
        public var nodeDatabaseBytes: Int
        /// `MALLOC_ARENA_MAX` as the children got it (nil: unset).
        public var mallocArenaMax: String?
    }

    public static func run() throws -> Result {
        guard MillionStoreRun.hasCompletePeerDatabase else {
            throw MillionStoreRun.RunError("no complete peer database at \(MillionStoreRun.peerDatabase.path): run `SyncWorker million-ingest`")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-million-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("node.sqlite").path

        let peer = try ChildWorker.Running(arguments: ["million-peer"])
        let url = try peer.readyLine()
        let peerReady = MemoryFigures.of(pid: peer.pid)
        let sampler = RSSSampler(pid: peer.pid)

        func phase(_ phase: Phase) throws -> PhaseResult {
            MillionStoreRun.resetPeakResident(pid: peer.pid)
            _ = sampler.take()
            let loadBefore = loadAverage()
            let started = ContinuousClock.now
            let line = try ChildWorker.lastLine(arguments: ["million-node", phase.rawValue, url, database])
            let seconds = MillionStoreRun.seconds(since: started)
            let node = try JSONDecoder().decode(NodePhase.self, from: Data(line.utf8))
            let result = PhaseResult(node: node, peer: PeerSide(sampledPeak: sampler.take(), end: .of(pid: peer.pid)),
                                     loadBefore: loadBefore, loadAfter: loadAverage(), processSeconds: seconds)
            FileHandle.standardError.write(Data(("million-sync \(phase.rawValue): \(node.storedEvents) events in \(node.milliseconds / 1000) s, "
                + "\(node.bytesNodeToPeer) B up, \(node.bytesPeerToNode) B down; node peak \(node.sampledPeak.residentBytes >> 20) MiB, "
                + "peer peak \(result.peer.sampledPeak.residentBytes >> 20) MiB\n").utf8))
            return result
        }
        let full = try phase(.full)
        guard full.node.storedEvents == MillionStoreRun.eventCount else {
            throw MillionStoreRun.RunError("synced \(full.node.storedEvents) of \(MillionStoreRun.eventCount) events")
        }
        let resync = try phase(.resync)
        let serve = try phase(.serve)
        _ = sampler.stop()
        let final = try JSONDecoder().decode(PeerReport.self, from: Data(try peer.finish().utf8))
        return Result(peerURL: url, peerReady: peerReady, full: full, resync: resync, serve: serve, peerFinal: final,
                      nodeDatabaseBytes: MillionStoreRun.fileSize(URL(fileURLWithPath: database)),
                      mallocArenaMax: ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"])
    }

    // MARK: - Helpers

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func milliseconds(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }

    /// The node's start-up allocator setting (`AllocatorTuning`). Skipped with
    /// `GRASP_BENCH_MALLOC_DEFAULT=1`.
    @discardableResult
    static func tuneAllocator() -> Bool {
        guard ProcessInfo.processInfo.environment["GRASP_BENCH_MALLOC_DEFAULT"] != "1" else { return false }
        return AllocatorTuning.apply()
    }

    /// The node's log on stderr, at `GRASP_BENCH_LOG_LEVEL` (default notice), so stdout
    /// carries only the JSON line.
    static func bootstrapLogging() {
        let level = ProcessInfo.processInfo.environment["GRASP_BENCH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension MillionStoreRun {
    /// Whether the peer database holds the complete current corpus.
    static var hasCompletePeerDatabase: Bool {
        (try? String(contentsOf: peerMarker, encoding: .utf8)) == headerLine()
    }
}

/// The node's transport in the split benchmark: `peer` (the URL the corpus's announcements
/// list) is dialled at `target` (the peer process's loopback port) through the production
/// `WebSocketRelayTransport`; any other URL is refused at once (the announcements' clone
/// host). Counts the JSON text of the messages each way.
final class LoopbackPeerTransport: RelayTransport, @unchecked Sendable {
    let peer: RelayURL
    let target: RelayURL
    let traffic = RelayTrafficTally()
    private let inner = WebSocketRelayTransport(configuration: WebSocketTransportConfiguration(addressPolicy: AddressPolicy(allowPrivate: true)),
                                                logger: ServedRelay.quietLogger("bench.node.transport"))

    init(peer: RelayURL, target: RelayURL) {
        self.peer = peer
        self.target = target
    }

    func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        guard url == peer else { throw .connectionRefused("no benchmark relay at \(url)") }
        return CountingRelaySession(url: url, inner: try await inner.connect(to: target), traffic: traffic)
    }
}


/// A session under another URL, counting the JSON text of each message (re-encoded: the
/// WebSocket session does not expose the text it decoded). Inbound messages pass through a
/// small second buffer (8 messages, 64 KiB) after the session's own.
final class CountingRelaySession: RelaySession, @unchecked Sendable {
    let url: RelayURL
    let messages: RelayMessageStream
    private let inner: any RelaySession
    private let traffic: RelayTrafficTally
    private let outbound: RelayMessageStream.Continuation
    private var pump: Task<Void, Never>?

    init(url: RelayURL, inner: any RelaySession, traffic: RelayTrafficTally) {
        self.url = url
        self.inner = inner
        self.traffic = traffic
        let (stream, continuation) = RelayMessageStream.makeStream(maxMessages: 8, maxBytes: 64 * 1024)
        messages = stream
        outbound = continuation
        let source = inner.messages
        pump = Task {
            for await message in source {
                let bytes = message.jsonText.utf8.count
                traffic.add(received: bytes)
                await continuation.send(message, bytes: bytes)
            }
            continuation.finish()
        }
    }

    func send(_ message: ClientMessage) async throws(TransportError) {
        try await inner.send(message)
        traffic.add(sent: message.jsonText.utf8.count)
    }

    func close() async {
        outbound.finish()  // a pump waiting on a full buffer nobody reads resumes
        await inner.close()
        await pump?.value
    }

    func closeReason() async -> TransportError? { await inner.closeReason() }
}
