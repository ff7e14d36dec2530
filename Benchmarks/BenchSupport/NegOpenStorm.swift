import Foundation
import HummingbirdWSClient
import Logging
import Nostr
import Reconcile
import Relay

/// The NEG-OPEN storm: the ingest corpus (100,000 events) behind the real endpoint, and
/// `connections` WebSocket clients that each open `sessionsPerConnection` NIP-77 sessions at
/// once, all with the relay-wide filter `{}` and the first message of an empty local set, so
/// every session that is admitted downloads the ids of all 100,000 events. Each session is
/// answered until it finishes (then NEG-CLOSE) or is refused (NEG-ERR, counted by prefix);
/// a connection closes once all its sessions ended. The clients run in a child process
/// (`ReadLoadWorker storm-clients`); the node samples its own memory and its negentropy
/// budget every 100 ms, then reads its memory again 5 s and 30 s after the last connection
/// closed.
public enum NegOpenStorm {
    /// The NEG-OPEN filter: every stored event.
    public static let filter = "{}"

    /// What the clients saw (printed by `storm-clients` as one JSON line).
    public struct ClientReport: Codable, Sendable {
        public var connections: Int
        public var sessionsPerConnection: Int
        /// NEG-OPENs sent.
        public var sessionsOpened = 0
        /// Sessions that reconciled to the end (the client's engine had nothing left to ask).
        public var completed = 0
        /// NEG-ERRs by machine-readable prefix (`rate-limited`, `blocked`, ...).
        public var refusedByPrefix: [String: Int] = [:]
        /// The first NEG-ERR reason seen for each prefix.
        public var refusalExamples: [String: String] = [:]
        /// Sessions left neither completed nor refused when their connection ended.
        public var unfinished = 0
        /// Connections that failed (connect or protocol error), and the first error.
        public var failedConnections = 0
        public var firstFailure: String?
        /// Distinct ids the client learned it needs, fewest and most over completed sessions.
        public var neededIDsMin = 0
        public var neededIDsMax = 0
        /// NEG-MSG replies the clients processed in all.
        public var rounds = 0
        /// From the first connection attempt to the last connection closed.
        public var seconds = 0.0
    }

    /// The whole storm's figures (printed by `ReadLoadWorker storm` as one JSON line).
    public struct Result: Codable, Sendable {
        public var clients: ClientReport
        /// The node's memory once the corpus is loaded and served, before the storm.
        public var before: ResidentMemory
        /// Largest `VmRSS` / `RssAnon` sampled every 100 ms from the storm's start to the last
        /// server-side connection end.
        public var peakResidentBytes: Int
        public var peakAnonymousBytes: Int
        /// `VmHWM` at that end, reset just before the storm (so it covers the storm only;
        /// `peakResetWorked` false: since the process started).
        public var highWaterBytes: Int
        public var peakResetWorked: Bool
        /// Memory when the relay's last connection ended, 5 s and 30 s after.
        public var atClose: ResidentMemory
        public var after5s: ResidentMemory
        public var after30s: ResidentMemory
        /// glibc's allocator before the storm and 30 s after it: a leak grows `inUseBytes`,
        /// memory the allocator kept grows `freeHeldBytes`.
        public var allocatorBefore: AllocatorStats
        public var allocatorAfter30s: AllocatorStats
        /// Memory after `malloc_trim(0)` (a diagnostic, after every other reading): what
        /// the allocator could hand back if asked.
        public var afterTrim: ResidentMemory
        /// `VmRSS` once a second during the storm, in MB.
        public var residentMegabytesPerSecond: [Double]
        /// The node-wide negentropy budget: capacity, most items held at once (sampled),
        /// items held after the storm.
        public var budgetCapacity: Int
        public var budgetPeakInUse: Int
        public var budgetInUseAfter: Int
        /// The relay's own counts (sessions it took on, most held at once, connections).
        public var relay: RelayActivityTally.Snapshot
        /// Seconds from the child's exit until the relay had no open connection.
        public var serverCloseLagSeconds: Double
    }

    // MARK: Node side

    /// Builds the node, serves it, runs the clients in a child process and measures.
    public static func run(connections: Int, sessionsPerConnection: Int) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-storm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tally = RelayActivityTally()
        // As the node serves by default, except the connection caps (20 per IP by default:
        // every client here is 127.0.0.1) and write budgets: none, as in the read-load run.
        let relay = try ServedRelay.makeCorpusRelay(directory: directory, observer: tally, clientLimits: nil)
        let budget = relay.negentropyBudget
        return try await ServedRelay.serve(relay) { url in
            let before = ResidentMemory.now()
            let allocatorBefore = AllocatorStats.now()
            let resetWorked = ResidentMemory.resetPeak()
            let sampler = MemorySampler(interval: 0.1) { budget.inUse }
            sampler.start()
            let clients = try await ChildWorker.run(ClientReport.self, arguments: [
                "storm-clients", url, String(connections), String(sessionsPerConnection),
            ])
            let exited = ContinuousClock.now
            _ = await tally.waitUntilNoConnections(timeout: 60)
            let closed = ContinuousClock.now
            let atClose = ResidentMemory.now()
            let sampled = sampler.stop()
            try await Task.sleep(until: closed + .seconds(5), clock: .continuous)
            let after5s = ResidentMemory.now()
            try await Task.sleep(until: closed + .seconds(30), clock: .continuous)
            let after30s = ResidentMemory.now()
            let allocatorAfter30s = AllocatorStats.now()
            AllocatorStats.trim()
            let afterTrim = ResidentMemory.now()
            return Result(clients: clients, before: before, peakResidentBytes: sampled.peakResidentBytes,
                          peakAnonymousBytes: sampled.peakAnonymousBytes, highWaterBytes: atClose.peakBytes,
                          peakResetWorked: resetWorked, atClose: atClose, after5s: after5s, after30s: after30s,
                          allocatorBefore: allocatorBefore, allocatorAfter30s: allocatorAfter30s, afterTrim: afterTrim,
                          residentMegabytesPerSecond: sampled.residentMegabytesPerSecond,
                          budgetCapacity: budget.capacity, budgetPeakInUse: sampled.peakGauge, budgetInUseAfter: budget.inUse,
                          relay: tally.snapshot, serverCloseLagSeconds: (closed - exited).inSeconds)
        }
    }

    // MARK: Client side

    /// Runs the clients against `url` (any NIP-77 relay) and reports what they saw.
    public static func runClients(url: String, connections: Int, sessionsPerConnection: Int) async throws -> ClientReport {
        let empty = try emptySet()
        let logger = ServedRelay.quietLogger("storm.client")
        let started = ContinuousClock.now
        let outcomes = await withTaskGroup(of: ConnectionOutcome.self) { group in
            for c in 0..<connections {
                group.addTask {
                    await runConnection(c, url: url, sessions: sessionsPerConnection, empty: empty, logger: logger)
                }
            }
            var all: [ConnectionOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        var report = ClientReport(connections: connections, sessionsPerConnection: sessionsPerConnection)
        report.seconds = (ContinuousClock.now - started).inSeconds
        var needed: [Int] = []
        for outcome in outcomes {
            report.sessionsOpened += outcome.opened
            report.rounds += outcome.rounds
            report.unfinished += outcome.opened - outcome.completedNeeds.count - outcome.refusals.count
            needed += outcome.completedNeeds
            for (prefix, reason) in outcome.refusals {
                report.refusedByPrefix[prefix, default: 0] += 1
                if report.refusalExamples[prefix] == nil { report.refusalExamples[prefix] = reason }
            }
            if let failure = outcome.failure {
                report.failedConnections += 1
                if report.firstFailure == nil { report.firstFailure = failure }
            }
        }
        report.completed = needed.count
        report.neededIDsMin = needed.min() ?? 0
        report.neededIDsMax = needed.max() ?? 0
        return report
    }

    /// The sealed empty item set every client session starts from.
    static func emptySet() throws -> NegentropyStorage {
        var storage = NegentropyStorage()
        try storage.seal()
        return storage
    }

    /// One connection's tallies, touched only by that connection's handler.
    final class ConnectionOutcome: @unchecked Sendable {
        var opened = 0
        var rounds = 0
        /// Distinct ids each completed session needed.
        var completedNeeds: [Int] = []
        /// (prefix, reason) of each NEG-ERR.
        var refusals: [(String, String)] = []
        var failure: String?
    }

    /// One client session: the initiator's engine over the empty set and the ids it learned.
    struct ClientSession {
        var engine: Negentropy
        var needed: Set<NegentropyID> = []
    }

    enum StormError: Error, CustomStringConvertible {
        case unexpected(String)
        var description: String {
            switch self {
            case .unexpected(let text): return "unexpected: \(text.prefix(200))"
            }
        }
    }

    /// Opens `sessions` sessions at once on one connection and answers them to the end.
    static func runConnection(_ c: Int, url: String, sessions: Int, empty: NegentropyStorage, logger: Logger) async -> ConnectionOutcome {
        let outcome = ConnectionOutcome()
        do {
            try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
                var open: [String: ClientSession] = [:]
                for k in 0..<sessions {
                    let id = "storm-\(c)-\(k)"
                    var engine = try Negentropy(storage: empty)
                    let first = try engine.initiate()
                    open[id] = ClientSession(engine: engine)
                    try await outbound.write(.text(#"["NEG-OPEN",""# + id + #"","# + filter + #",""# + NegentropyHex.encode(first) + #""]"#))
                    outcome.opened += 1
                }
                var messages = inbound.messages(maxSize: 1 << 23).makeAsyncIterator()
                while !open.isEmpty, let message = try await messages.next() {
                    guard case .text(let text) = message else { throw StormError.unexpected("binary message") }
                    switch try RelayMessage.decode(text) {
                    case .negMsg(let id, let hex):
                        guard var session = open[id], let bytes = NegentropyHex.decode(hex) else { throw StormError.unexpected(text) }
                        var have: [NegentropyID] = []
                        var need: [NegentropyID] = []
                        let next = try session.engine.reconcile(bytes, have: &have, need: &need)
                        session.needed.formUnion(need)
                        outcome.rounds += 1
                        if let next {
                            open[id] = session
                            try await outbound.write(.text(#"["NEG-MSG",""# + id + #"",""# + NegentropyHex.encode(next) + #""]"#))
                        } else {
                            open[id] = nil
                            outcome.completedNeeds.append(session.needed.count)
                            try await outbound.write(.text(#"["NEG-CLOSE",""# + id + #""]"#))
                        }
                    case .negErr(let id, let reason, _):
                        guard open.removeValue(forKey: id) != nil else { throw StormError.unexpected(text) }
                        let prefix = reason.firstIndex(of: ":").map { String(reason[..<$0]) } ?? reason
                        outcome.refusals.append((prefix, reason))
                    case .notice:
                        continue
                    default:
                        throw StormError.unexpected(text)
                    }
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        } catch {
            outcome.failure = "connection \(c): \(error)"
        }
        return outcome
    }
}
