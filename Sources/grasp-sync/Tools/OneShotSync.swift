import App
import Foundation
import Health
import Layers
import Nostr
import Reconcile
import Store
import Transport

/// Which way a one-shot sync moves events.
public enum SyncDirection: String, Sendable, CaseIterable {
    /// Fetch what the relay has and the data directory lacks.
    case down
    /// Send what the data directory has and the relay lacks.
    case up
    case both

    var fetches: Bool { self != .up }
    var sends: Bool { self != .down }
}

/// Settings of one `grasp-sync sync` run.
public struct OneShotSyncOptions: Sendable {
    public var filter: Filter
    public var direction: SyncDirection
    public var dryRun: Bool
    /// Try NIP-77 first (off: REQ/EOSE only).
    public var negentropy: Bool
    /// Seconds without progress before a request counts as unanswered.
    public var requestTimeout: Double
    /// Events sent and not yet answered with OK, at most.
    public var uploadWindow: Int
    /// Ids per fetch REQ; events per REQ page.
    public var idChunk: Int
    public var pageLimit: Int
    /// Request sizing (strfry's counting of filter values).
    public var requestLimits: RequestLimits

    public init(filter: Filter, direction: SyncDirection = .down, dryRun: Bool = false, negentropy: Bool = true,
                requestTimeout: Double = 30, uploadWindow: Int = 64, idChunk: Int = 300, pageLimit: Int = 500,
                requestLimits: RequestLimits = RequestLimits()) {
        self.filter = filter
        self.direction = direction
        self.dryRun = dryRun
        self.negentropy = negentropy
        self.requestTimeout = requestTimeout
        self.uploadWindow = max(1, uploadWindow)
        self.idChunk = max(1, idChunk)
        self.pageLimit = max(1, pageLimit)
        self.requestLimits = requestLimits
    }
}

/// What a one-shot sync did.
public struct OneShotSyncReport: Sendable {
    /// "NIP-77" or "REQ/EOSE".
    public var mode = "NIP-77"
    /// Why NIP-77 was not used, when it was not.
    public var fallbackReason: String?
    /// NIP-77: rounds and payload bytes.
    public var rounds = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Events only the data directory holds (NIP-77), or candidates to send (REQ mode).
    public var localOnly: Int?
    /// Events only the relay holds (NIP-77), or found missing locally (REQ mode).
    public var relayOnly: Int?
    /// What fetched events did locally.
    public var fetched = IngestTally()
    /// Ids the relay announced but never delivered.
    public var notDelivered = 0
    /// What the relay answered to sent events.
    public var sentAccepted = 0
    public var sentDuplicate = 0
    public var sentRefused: [String: Int] = [:]

    public init() {}

    public var sentTotal: Int { sentAccepted + sentDuplicate + sentRefused.values.reduce(0, +) }

    /// Summary lines for the operator.
    public func summaryLines(relay: RelayURL, options: OneShotSyncOptions) -> [String] {
        var lines: [String] = []
        var head = "sync with \(relay) (\(options.direction.rawValue)\(options.dryRun ? ", dry run" : "")): \(mode)"
        if mode == "NIP-77" {
            head += ", \(rounds) rounds, \(bytesSent) bytes sent, \(bytesReceived) received"
        } else if let fallbackReason {
            head += " (\(fallbackReason))"
        }
        lines.append(head)
        if let relayOnly { lines.append("relay only: \(relayOnly)") }
        if let localOnly { lines.append("local only: \(localOnly)") }
        if options.direction.fetches, !options.dryRun {
            lines.append("down: \(fetched.total) received, \(fetched.stored) stored, \(fetched.duplicate) duplicate, \(fetched.refusedTotal) refused"
                         + (notDelivered > 0 ? ", \(notDelivered) announced but never delivered" : ""))
            for (reason, count) in fetched.refused.sorted(by: { $0.value > $1.value }) { lines.append("  \(count)  \(reason)") }
        }
        if options.direction.sends, !options.dryRun {
            lines.append("up: \(sentTotal) sent, \(sentAccepted) accepted, \(sentDuplicate) duplicate, \(sentRefused.values.reduce(0, +)) refused")
            for (reason, count) in sentRefused.sorted(by: { $0.value > $1.value }) { lines.append("  \(count)  \(reason)") }
        }
        return lines
    }
}

/// A one-shot reconciliation between the data directory and one relay, with the node's
/// stages: Transport's session, Reconcile's NIP-77 client (`runSplitting`, refusals read by
/// Health's `RefusalClassifier`), the sync engine's subscription router, and the ingestor
/// (verification and acceptance policy) for what comes down. Without NIP-77 it falls back
/// to REQ/EOSE with `until` pagination.
public final class OneShotSync: @unchecked Sendable {
    let local: LocalNodeStore
    let transport: any RelayTransport
    let relay: RelayURL
    let options: OneShotSyncOptions
    let progress: @Sendable (String) -> Void
    private var report = OneShotSyncReport()
    private let router = SubscriptionRouter()
    private let answers = OKWaiters()
    private var counter = 0

    public init(local: LocalNodeStore, transport: any RelayTransport, relay: RelayURL, options: OneShotSyncOptions,
                progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.local = local
        self.transport = transport
        self.relay = relay
        self.options = options
        self.progress = progress
    }

    var now: Double { Date().timeIntervalSince1970 }

    /// Connects, reconciles, moves events, closes.
    public func run() async throws -> OneShotSyncReport {
        progress("connecting to \(relay)")
        let session: any RelaySession
        do { session = try await transport.connect(to: relay) } catch {
            throw ToolError.remote("cannot connect to \(relay): \(error)")
        }
        self.session = session
        let router = self.router
        let answers = self.answers
        let pump = Task {
            for await message in session.messages {
                if case .ok(let id, let accepted, let text) = message {
                    answers.resolve(id, accepted: accepted, message: text)
                } else {
                    router.route(message, now: Date().timeIntervalSince1970)
                }
            }
            router.closeAll()
            answers.failAll("connection closed")
        }
        let timeout = options.requestTimeout
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 250_000_000)
                let now = Date().timeIntervalSince1970
                router.expire(now: now)
                answers.expire(now: now, timeout: timeout)
            }
        }
        defer {
            ticker.cancel()
            pump.cancel()
        }
        do {
            try await reconcileAndMove(session)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
        return report
    }

    private let counterLock = NSLock()
    private func nextID(_ prefix: String) -> String {
        counterLock.withLock {
            counter += 1
            return "gs-\(prefix)\(counter)"
        }
    }

    private func reconcileAndMove(_ session: any RelaySession) async throws {
        if options.negentropy {
            progress("reconciling (NIP-77)")
            let link = RoutedNegentropyLink(session: session, router: router, timeout: options.requestTimeout, now: { Date().timeIntervalSince1970 })
            let store = local.store
            let result = await NegentropyClientSession.runSplitting(
                link: link, subscriptionID: nextID("neg"), filter: options.filter, now: Int64(now),
                frameSizeLimit: 60_000, classify: RefusalClassifier.classify,
                storageFor: { filter in try Self.storage(store, filter) })
            await link.finish()
            switch result {
            case .success(let diff):
                report.rounds = diff.rounds
                report.bytesSent = diff.bytesSent
                report.bytesReceived = diff.bytesReceived
                report.relayOnly = diff.need.count
                report.localOnly = diff.have.count
                if options.dryRun { return }
                if options.direction.fetches {
                    try await fetch(ids: diff.need.map(\.hex))
                    later.settle(local.ingestor, into: &report.fetched)
                }
                if options.direction.sends { try await send(ids: diff.have.map(\.hex)) }
                return
            case .failure(.disconnected):
                throw ToolError.remote("\(relay) closed the connection during NIP-77 reconciliation")
            case .failure(let failure):
                report.fallbackReason = "NIP-77 not used: \(failure.description)"
            }
        } else {
            report.fallbackReason = "NIP-77 turned off"
        }
        report.mode = "REQ/EOSE"
        try await withoutNegentropy()
    }

    /// Local negentropy items for a filter: the real store.
    static func storage(_ store: SQLiteEventStore, _ filter: Filter) throws -> NegentropyStorage {
        try store.negentropyStorage(for: filter)
    }

    // MARK: Down

    /// Fetches `ids` in chunks, up to four REQs in flight, and ingests each chunk as it
    /// arrives (on this task, so the ingestor sees one batch at a time). Ids a chunk did not
    /// deliver are asked for again, twice at most.
    private func fetch(ids: [String]) async throws {
        var queue: [(ids: [String], attempt: Int)] = stride(from: 0, to: ids.count, by: options.idChunk).map {
            (Array(ids[$0..<min($0 + options.idChunk, ids.count)]), 0)
        }
        queue.reverse()
        var delivered = 0
        try await withThrowingTaskGroup(of: ([String], Int, [NostrEvent]).self) { group in
            var running = 0
            func startNext() {
                guard let next = queue.popLast() else { return }
                running += 1
                group.addTask { (next.ids, next.attempt, try await self.collect(Filter(ids: next.ids))) }
            }
            for _ in 0..<4 { startNext() }
            while running > 0, let (chunk, attempt, events) = try await group.next() {
                running -= 1
                var wanted = Set(chunk)
                let fresh = events.filter { wanted.remove($0.id) != nil }
                ingest(fresh)
                delivered += fresh.count
                if !wanted.isEmpty {
                    if attempt < 2 { queue.append((Array(wanted), attempt + 1)) } else { report.notDelivered += wanted.count }
                }
                progress("down: \(delivered)/\(ids.count) fetched, \(report.fetched.stored) stored")
                startNext()
            }
        }
    }

    /// Ingests oldest first (what others reference usually precedes them).
    private func ingest(_ events: [NostrEvent]) {
        guard !events.isEmpty else { return }
        let ordered = events.sorted { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id < $1.id }
        for (event, result) in zip(ordered, local.ingestor.ingest(batch: ordered)) {
            report.fetched.record(result)
            later.note(event, result)
        }
    }

    /// Events refused for a reference fetched later, offered again at the end.
    private var later = LaterResolution()

    /// REQ/EOSE: pages of the filter, newest first, `until` moving back (pages overlap on
    /// their oldest second and are deduplicated, so a second holding more events than a
    /// page is not cut); what is not stored locally is ingested (unless a dry run).
    private func withoutNegentropy() async throws {
        if options.direction.fetches {
            var until = options.filter.until
            var seen = Set<String>()
            var steppedPast: Int64?
            var missing = 0
            while true {
                var page = options.filter
                page.until = until
                page.limit = min(options.pageLimit, options.filter.limit ?? options.pageLimit)
                let events = try await collect(page)
                guard let oldest = events.map(\.createdAt).min() else { break }
                let fresh = events.filter { seen.insert($0.id).inserted }
                let absent = fresh.filter { (try? local.store.contains(eventID: $0.id)) != true }
                missing += absent.count
                if !options.dryRun { ingest(absent) }
                report.fetched.duplicate += fresh.count - absent.count
                progress("down: \(seen.count) seen, \(missing) missing locally, \(report.fetched.stored) stored")
                if let cap = options.filter.limit, seen.count >= cap { break }
                if !fresh.isEmpty {
                    until = oldest
                } else if steppedPast != oldest, oldest > 0 {
                    steppedPast = oldest
                    until = oldest - 1
                } else {
                    break
                }
                if let since = options.filter.since, let u = until, u < since { break }
            }
            report.relayOnly = missing
            later.settle(local.ingestor, into: &report.fetched)
        }
        if options.direction.sends {
            // Without NIP-77 what the relay holds is unknown: every matching event is offered
            // and the relay answers duplicates.
            var ids: [String] = []
            try local.store.forEachStoredJSON(matching: options.filter) { page in
                for text in page { if let e = try? NostrEvent(jsonText: text) { ids.append(e.id) } }
                return true
            }
            report.localOnly = ids.count
            if !options.dryRun { try await send(ids: ids) }
        }
    }

    /// One REQ until EOSE; rate-limit refusals wait and retry (5 times).
    private func collect(_ filter: Filter) async throws -> [NostrEvent] {
        var attempt = 0
        while true {
            let id = nextID("req")
            let deliveries = router.register(id, now: now, timeout: options.requestTimeout)
            defer { router.unregister(id) }
            let session = try currentSession()
            do { try await session.send(.req(subscriptionID: id, filters: [filter])) } catch {
                throw ToolError.remote("sending to \(relay) failed: \(error)")
            }
            var events: [NostrEvent] = []
            var refusal: String?
            loop: for await delivery in deliveries {
                switch delivery {
                case .message(.event(_, let event)):
                    if filter.matches(event) { events.append(event) }
                case .message(.eose):
                    try? await session.send(.close(subscriptionID: id))
                    return events
                case .message(.closed(_, let reason)):
                    refusal = reason
                    break loop
                case .message:
                    continue
                case .timeout:
                    try? await session.send(.close(subscriptionID: id))
                    throw ToolError.remote("\(relay) sent no EOSE within \(Int(options.requestTimeout)) s")
                case .disconnected:
                    throw ToolError.remote("\(relay) closed the connection")
                }
            }
            guard let refusal else { throw ToolError.remote("\(relay) closed the connection") }
            switch RefusalClassifier.classify(refusal) {
            case .rateLimited where attempt < 5, .subscriptionCap where attempt < 5:
                attempt += 1
                progress("rate limited by \(relay), waiting \(1 << attempt) s")
                try await Task.sleep(nanoseconds: UInt64(1 << attempt) * 1_000_000_000)
            default:
                throw ToolError.remote("\(relay) refused the request: \(refusal)")
            }
        }
    }

    private var session: (any RelaySession)?
    private func currentSession() throws -> any RelaySession {
        guard let session else { throw ToolError.remote("not connected") }
        return session
    }

    // MARK: Up

    /// Sends the stored events with these ids, oldest first (so what others reference
    /// arrives before them), keeping up to `uploadWindow` unanswered. A `rate-limited:`
    /// answer is retried after a growing pause (up to 8 times).
    private func send(ids: [String]) async throws {
        let ordered = try oldestFirst(ids)
        let session = try currentSession()
        let window = options.uploadWindow
        let total = ordered.count
        let tally = UploadTally()
        let relay = self.relay
        let progress = self.progress
        let answers = self.answers
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            // Events are read from the store a page at a time (memory stays flat).
            for start in stride(from: 0, to: ordered.count, by: 1_000) {
            for event in try local.store.events(ids: Array(ordered[start..<min(start + 1_000, ordered.count)])) {
                // The group is the window: a finished task is collected before the next
                // send once `window` are out (finished tasks would otherwise stay in the group).
                if inFlight >= window {
                    try await group.next()
                    inFlight -= 1
                }
                inFlight += 1
                let waiter = answers.register(event.id, now: now)
                do { try await session.send(.event(event)) } catch {
                    throw ToolError.remote("sending to \(relay) failed: \(error)")
                }
                group.addTask {
                    var answer = await waiter.value
                    var attempt = 0
                    while !answer.0, answer.1.hasPrefix("rate-limited:"), attempt < 8 {
                        attempt += 1
                        try await Task.sleep(nanoseconds: UInt64(min(30, 1 << attempt)) * 1_000_000_000)
                        let again = answers.register(event.id, now: clock())
                        try await session.send(.event(event))
                        answer = await again.value
                    }
                    progress(tally.record(answer, total: total))
                }
            }
            }
            try await group.waitForAll()
        }
        let counts = tally.counts
        report.sentAccepted += counts.accepted
        report.sentDuplicate += counts.duplicate
        report.sentRefused.merge(counts.refused, uniquingKeysWith: +)
    }

    /// `ids` ordered by the stored events' `created_at` (then id), from the store's id listing.
    private func oldestFirst(_ ids: [String]) throws -> [String] {
        let wanted = Set(ids)
        var filter = options.filter
        filter.limit = nil
        guard case .items(let list) = try local.store.idListing(for: filter, maxItems: 5_000_000, ordered: true) else {
            return ids
        }
        var out: [String] = []
        out.reserveCapacity(wanted.count)
        for index in 0..<list.count {
            let hex = Hex.encode(Array(list.id(at: index)))
            if wanted.contains(hex) { out.append(hex) }
        }
        // Anything the listing did not have (written meanwhile) goes last.
        if out.count < wanted.count {
            let listed = Set(out)
            out += ids.filter { !listed.contains($0) }
        }
        return out
    }

    /// A refusal text, clipped.
    static func label(_ text: String) -> String {
        text.count > 100 ? String(text.prefix(99)) + "…" : text
    }
}

/// Answers to sent events, counted from the tasks awaiting them.
final class UploadTally: @unchecked Sendable {
    private let lock = NSLock()
    private var answered = 0
    private(set) var counts: (accepted: Int, duplicate: Int, refused: [String: Int]) = (0, 0, [:])

    /// Counts one answer; returns the progress line.
    func record(_ answer: (Bool, String), total: Int) -> String {
        lock.withLock {
            answered += 1
            if answer.0 {
                if answer.1.hasPrefix("duplicate:") { counts.duplicate += 1 } else { counts.accepted += 1 }
            } else {
                counts.refused[answer.1.isEmpty ? "refused without a reason" : OneShotSync.label(answer.1), default: 0] += 1
            }
            return "up: \(answered)/\(total) answered, \(counts.accepted) accepted, \(counts.duplicate) duplicate"
        }
    }
}

/// Waiters for `OK` answers to sent events, resolved by the connection's reader.
final class OKWaiters: @unchecked Sendable {
    private struct Waiter {
        let continuation: AsyncStream<(Bool, String)>.Continuation
        let since: Double
    }
    private let lock = NSLock()
    private var waiters: [String: Waiter] = [:]

    struct Pending: Sendable {
        let stream: AsyncStream<(Bool, String)>
        var value: (Bool, String) {
            get async {
                for await answer in stream { return answer }
                return (false, "error: connection closed before an OK")
            }
        }
    }

    func register(_ id: String, now: Double) -> Pending {
        let (stream, continuation) = AsyncStream<(Bool, String)>.makeStream()
        lock.withLock { waiters[id] = Waiter(continuation: continuation, since: now) }
        return Pending(stream: stream)
    }

    func resolve(_ id: String, accepted: Bool, message: String) {
        guard let w = lock.withLock({ waiters.removeValue(forKey: id) }) else { return }
        w.continuation.yield((accepted, message))
        w.continuation.finish()
    }

    func expire(now: Double, timeout: Double) {
        let due: [Waiter] = lock.withLock {
            let ids = waiters.filter { now - $0.value.since >= timeout }.map(\.key)
            return ids.compactMap { waiters.removeValue(forKey: $0) }
        }
        for w in due {
            w.continuation.yield((false, "error: no OK answer within \(Int(timeout)) s"))
            w.continuation.finish()
        }
    }

    func failAll(_ why: String) {
        let all: [Waiter] = lock.withLock {
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for w in all {
            w.continuation.yield((false, "error: \(why)"))
            w.continuation.finish()
        }
    }
}
