import App
import Foundation
import Nostr
import Store

/// Loads JSON lines of events into the store: through verification and the acceptance
/// policy (as if a client had published them), or, for restoring an archive, verified and
/// stored without the policy. Events are handled in batches (signatures checked on all
/// cores, one write transaction per batch), so a running node on the same database waits at
/// most one batch for the write lock.
public struct EventImporter {
    /// What is reported after each batch.
    public struct Progress: Sendable {
        /// Lines handled (events and unparsable lines).
        public var lines: Int
        public var bytesRead: Int64
        public var totalBytes: Int64?
        public var tally: IngestTally
    }

    public let local: LocalNodeStore
    /// Apply the acceptance policy (off: `--no-policy`, verification only).
    public let applyPolicy: Bool
    public let batchSize: Int

    public init(local: LocalNodeStore, applyPolicy: Bool, batchSize: Int = 1_000) {
        self.local = local
        self.applyPolicy = applyPolicy
        self.batchSize = max(1, batchSize)
    }

    /// Reads every line of `reader`; unparsable lines are counted as refused and skipped.
    ///
    /// An event refused because what it needs was not stored yet (a state before its
    /// announcement, a comment before its issue) is held by the ingestor and stored when that
    /// arrives later in the input (or offered again at the end, oldest first); the summary
    /// counts it as stored.
    public func run(_ reader: JSONLineReader, progress: (Progress) -> Void = { _ in }) throws -> IngestTally {
        var tally = IngestTally()
        var lines = 0
        var batch: [NostrEvent] = []
        batch.reserveCapacity(batchSize)
        var texts: [String] = []
        texts.reserveCapacity(batchSize)
        var later = LaterResolution()
        func flush() throws {
            // Lines are parsed on all cores, in input order.
            for parsed in Self.parse(texts) {
                switch parsed {
                case .success(let event): batch.append(event)
                case .failure(let error): tally.refuse("invalid: not an event (\(error.message))")
                }
            }
            texts.removeAll(keepingCapacity: true)
            guard !batch.isEmpty else { return }
            if applyPolicy {
                for (event, result) in zip(batch, local.ingestor.ingest(batch: batch)) {
                    if case .storeFailed(let error) = result { throw ToolError.setup("store failed: \(error)") }
                    tally.record(result)
                    later.note(event, result)
                }
            } else {
                let verdicts = EventIngestor.verifyConcurrently(batch)
                var valid: [NostrEvent] = []
                for (event, verdict) in zip(batch, verdicts) {
                    if let verdict { tally.refuse("invalid: \(verdict.message)") } else { valid.append(event) }
                }
                do {
                    for outcome in try local.store.insert(batch: valid) { tally.record(outcome) }
                } catch {
                    throw ToolError.setup("store failed: \(error)")
                }
            }
            batch.removeAll(keepingCapacity: true)
            progress(Progress(lines: lines, bytesRead: reader.bytesRead, totalBytes: reader.totalBytes, tally: tally))
        }
        while let (_, text) = try reader.next() {
            lines += 1
            texts.append(text)
            if texts.count >= batchSize { try flush() }
        }
        try flush()
        if applyPolicy { later.settle(local.ingestor, into: &tally) }
        if lines == 0 { progress(Progress(lines: 0, bytesRead: reader.bytesRead, totalBytes: reader.totalBytes, tally: tally)) }
        return tally
    }

    /// Parses `texts` as events, in chunks on all cores; results in input order.
    static func parse(_ texts: [String]) -> [Result<NostrEvent, EventValidationError>] {
        let count = texts.count
        guard count >= 64 else {
            return texts.map { text in Result { () throws(EventValidationError) in try NostrEvent(jsonText: text) } }
        }
        let chunks = min(ProcessInfo.processInfo.activeProcessorCount * 4, count / 16)
        let out = UnsafeMutableBufferPointer<Result<NostrEvent, EventValidationError>?>.allocate(capacity: count)
        out.initialize(repeating: nil)
        defer { out.deallocate() }
        nonisolated(unsafe) let slots = out
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for i in (chunk * count / chunks)..<((chunk + 1) * count / chunks) {
                slots[i] = Result { () throws(EventValidationError) in try NostrEvent(jsonText: texts[i]) }
            }
        }
        return out.map { $0! }
    }
}
