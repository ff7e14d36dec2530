import Foundation
import HummingbirdWSClient
import Logging
import Nostr
import Relay

/// Publish+query latency beside a bulk publisher: the ingest corpus (100,000 events) behind
/// the real endpoint, with write budgets far above what the clients send. A probe client
/// publishes one new issue every 100 ms and then asks for it by id; its latency runs from
/// sending the EVENT to the EOSE of that REQ. First the probe runs alone (`seconds / 4`), then
/// for `seconds` beside a bulk publisher on its own connection that sends new issues and
/// comments as fast as the OKs come back, with up to `bulkInFlight` EVENTs unanswered. The
/// clients run in a child process (`ReadLoadWorker latency-clients`).
public enum PublishLatency {
    /// EVENTs the bulk publisher keeps unanswered at most.
    public static let bulkInFlight = 200
    /// Time between probe starts (a probe that overruns skips the ticks it overran).
    public static let probeInterval: Duration = .milliseconds(100)

    /// Write budgets and connection caps far above this benchmark's rates, so the node's
    /// admission path runs but never refuses.
    public static let generousLimits = ClientLimits(eventsPerSecondPerConnection: 1_000_000, eventBurstPerConnection: 1_000_000,
                                                    eventsPerSecondPerIP: 1_000_000, eventBurstPerIP: 1_000_000,
                                                    maxConnectionsPerIP: 100, maxConnections: 1000)

    /// What one probe phase saw.
    public struct ProbeReport: Codable, Sendable {
        /// EVENT sent to the EOSE of the REQ by its id, over the probes whose event was stored.
        public var roundTrip: LatencySummary
        /// EVENT sent to its OK.
        public var eventToOK: LatencySummary
        /// Probes answered `OK false` (not asked for).
        public var refused = 0
        public var firstRefusal: String?
        /// Probes stored (`OK true`) but not returned by the REQ.
        public var missing = 0
        /// Ticks skipped because the probe before still ran.
        public var skippedTicks = 0
        /// EVENTs for a probe's subscription after its EOSE: the probe's own event sent a
        /// second time by the live feed (it was stored just before the REQ), before the
        /// CLOSE took effect. Counted and otherwise ignored.
        public var liveDuplicates = 0
        public var seconds = 0.0
    }

    /// What the bulk publisher saw.
    public struct BulkReport: Codable, Sendable {
        public var sent = 0
        /// `OK true`.
        public var acked = 0
        /// `OK false` by machine-readable prefix, and the first reason.
        public var refusedByPrefix: [String: Int] = [:]
        public var firstRefusal: String?
        /// From the first EVENT to the last OK.
        public var seconds = 0.0
        public var ackedPerSecond = 0.0
    }

    /// What the clients saw (printed by `latency-clients` as one JSON line).
    public struct ClientReport: Codable, Sendable {
        public var seconds: Int
        public var alone: ProbeReport
        public var besideBulk: ProbeReport
        public var bulk: BulkReport
    }

    /// The whole run's figures (printed by `ReadLoadWorker latency` as one JSON line).
    public struct Result: Codable, Sendable {
        public var clients: ClientReport
        /// EVENTs the relay stored and did not store during the run (its own count).
        public var relay: RelayActivityTally.Snapshot
        /// The node's memory before the clients started, and `VmHWM` over the run (reset
        /// before it; `peakResetWorked` false: since the process started).
        public var nodeBefore: ResidentMemory
        public var nodePeakResidentBytes: Int
        public var peakResetWorked: Bool
        public var nodeAfter: ResidentMemory
    }

    // MARK: Node side

    /// Builds the node, serves it, runs the clients in a child process and measures.
    public static func run(seconds: Int) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-latency-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tally = RelayActivityTally()
        let relay = try ServedRelay.makeCorpusRelay(directory: directory, observer: tally, clientLimits: generousLimits)
        return try await ServedRelay.serve(relay) { url in
            let before = ResidentMemory.now()
            let resetWorked = ResidentMemory.resetPeak()
            let clients = try await ChildWorker.run(ClientReport.self, arguments: ["latency-clients", url, String(seconds)])
            let after = ResidentMemory.now()
            return Result(clients: clients, relay: tally.snapshot, nodeBefore: before, nodePeakResidentBytes: after.peakBytes,
                          peakResetWorked: resetWorked, nodeAfter: after)
        }
    }

    // MARK: Client side

    /// Runs both phases against `url` (any relay that stores the corpus's new events).
    public static func runClients(url: String, seconds: Int) async throws -> ClientReport {
        let logger = ServedRelay.quietLogger("latency.client")
        let aloneFor = Duration.milliseconds(max(1000, seconds * 250))
        let alone = try await probe(url: url, for: aloneFor, label: "probe-alone", logger: logger)
        let (beside, bulk) = try await withThrowingTaskGroup(of: (ProbeReport?, BulkReport?).self) { group in
            group.addTask { (nil, try await bulkPublish(url: url, for: .seconds(seconds), label: "bulk", logger: logger)) }
            group.addTask { (try await probe(url: url, for: .seconds(seconds), label: "probe-bulk", logger: logger), nil) }
            var probeReport: ProbeReport?
            var bulkReport: BulkReport?
            for try await (p, b) in group {
                probeReport = p ?? probeReport
                bulkReport = b ?? bulkReport
            }
            return (probeReport!, bulkReport!)
        }
        return ClientReport(seconds: seconds, alone: alone, besideBulk: beside, bulk: bulk)
    }

    enum LatencyError: Error, CustomStringConvertible {
        case unexpected(String)
        case closedEarly(String)
        var description: String {
            switch self {
            case .unexpected(let text): return "unexpected message: \(text.prefix(200))"
            case .closedEarly(let who): return "\(who): the relay closed the connection"
            }
        }
    }

    /// Mutable tallies of one client, touched only by its connection handler.
    final class Box<Value>: @unchecked Sendable {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    /// The next relay message, decoded; throws if the connection ended.
    static func nextMessage(_ messages: inout WebSocketInboundMessageStream.AsyncIterator, who: String) async throws -> RelayMessage {
        guard let message = try await messages.next() else { throw LatencyError.closedEarly(who) }
        guard case .text(let text) = message else { throw LatencyError.unexpected("binary message") }
        return try RelayMessage.decode(text)
    }

    /// Publishes one new issue every `probeInterval` for `duration` and asks for it by id.
    static func probe(url: String, for duration: Duration, label: String, logger: Logger) async throws -> ProbeReport {
        let roundTrips = Box<[Double]>([])
        let eventToOK = Box<[Double]>([])
        let report = Box(ProbeReport(roundTrip: LatencySummary(milliseconds: []), eventToOK: LatencySummary(milliseconds: [])))
        let clock = ContinuousClock()
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
            var factory = CorpusEventFactory(label: label)
            let start = clock.now
            var tick = 0
            while true {
                let due = start + probeInterval * tick
                guard due < start + duration else { break }
                try await Task.sleep(until: due, clock: clock)
                let event = factory.issue()
                let sent = clock.now
                try await outbound.write(.text(ClientMessage.event(event).jsonText))
                var accepted = false
                reading: while true {
                    switch try await nextMessage(&messages, who: label) {
                    case .ok(event.id, let ok, let reason):
                        accepted = ok
                        if !ok {
                            report.value.refused += 1
                            if report.value.firstRefusal == nil { report.value.firstRefusal = reason }
                        }
                        break reading
                    case .event(let earlier, _) where earlier.hasPrefix(label):
                        report.value.liveDuplicates += 1
                    case .notice:
                        continue
                    case let other:
                        throw LatencyError.unexpected(other.jsonText)
                    }
                }
                eventToOK.value.append((clock.now - sent).inMilliseconds)
                if accepted {
                    let sub = "\(label)-\(tick)"
                    try await outbound.write(.text(ClientMessage.req(subscriptionID: sub, filters: [Filter(ids: [event.id])]).jsonText))
                    var found = false
                    reading: while true {
                        switch try await nextMessage(&messages, who: label) {
                        case .event(sub, let returned): found = found || returned.id == event.id
                        case .eose(sub): break reading
                        case .event(let earlier, _) where earlier.hasPrefix(label): report.value.liveDuplicates += 1
                        case .notice: continue
                        case let other: throw LatencyError.unexpected(other.jsonText)
                        }
                    }
                    let elapsed = (clock.now - sent).inMilliseconds
                    try await outbound.write(.text(ClientMessage.close(subscriptionID: sub).jsonText))
                    if found { roundTrips.value.append(elapsed) } else { report.value.missing += 1 }
                }
                // The next tick not yet past; those the probe overran are skipped.
                let next = max(tick + 1, Int(((clock.now - start) / probeInterval).rounded(.up)))
                report.value.skippedTicks += next - tick - 1
                tick = next
            }
            report.value.seconds = (clock.now - start).inSeconds
            try await outbound.close(.normalClosure, reason: nil)
        }
        var result = report.value
        result.roundTrip = LatencySummary(milliseconds: roundTrips.value)
        result.eventToOK = LatencySummary(milliseconds: eventToOK.value)
        return result
    }

    /// Sends new issues and comments for `duration`, keeping up to `bulkInFlight` EVENTs
    /// unanswered (the next once an OK arrived), then waits for the last OKs.
    static func bulkPublish(url: String, for duration: Duration, label: String, logger: Logger) async throws -> BulkReport {
        let report = Box(BulkReport())
        let clock = ContinuousClock()
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
            var factory = CorpusEventFactory(label: label)
            let start = clock.now
            let end = start + duration
            var inFlight = 0
            var lastOK = start
            while inFlight < bulkInFlight {
                try await outbound.write(.text(ClientMessage.event(factory.next()).jsonText))
                inFlight += 1
                report.value.sent += 1
            }
            while inFlight > 0 {
                switch try await nextMessage(&messages, who: label) {
                case .ok(_, let accepted, let reason):
                    inFlight -= 1
                    lastOK = clock.now
                    if accepted {
                        report.value.acked += 1
                    } else {
                        let prefix = reason.firstIndex(of: ":").map { String(reason[..<$0]) } ?? reason
                        report.value.refusedByPrefix[prefix, default: 0] += 1
                        if report.value.firstRefusal == nil { report.value.firstRefusal = reason }
                    }
                    if lastOK < end {
                        try await outbound.write(.text(ClientMessage.event(factory.next()).jsonText))
                        inFlight += 1
                        report.value.sent += 1
                    }
                case .notice:
                    continue
                case let other:
                    throw LatencyError.unexpected(other.jsonText)
                }
            }
            report.value.seconds = (lastOK - start).inSeconds
            report.value.ackedPerSecond = (Double(report.value.acked) / report.value.seconds).rounded()
            try await outbound.close(.normalClosure, reason: nil)
        }
        return report.value
    }
}
