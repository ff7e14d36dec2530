import App
import Nostr
import Store

/// What a bulk load did with the events offered to it (the `import` and `sync` summaries):
/// stored, already present, and refused, grouped by reason.
public struct IngestTally: Sendable, Equatable {
    /// Newly stored.
    public var stored = 0
    /// Of `stored`, events first held for a missing reference and stored when it arrived.
    public var storedAfterDeferral = 0
    /// Already stored, or a newer version is stored.
    public var duplicate = 0
    /// Refused: reason label -> count.
    public var refused: [String: Int] = [:]

    public init() {}

    /// Events seen in all.
    public var total: Int { stored + duplicate + refusedTotal }
    /// Events refused for any reason.
    public var refusedTotal: Int { refused.values.reduce(0, +) }

    /// Counts one refusal.
    public mutating func refuse(_ reason: String, count: Int = 1) {
        guard count > 0 else { return }
        refused[reason, default: 0] += count
    }

    /// Counts one ingest result.
    public mutating func record(_ result: IngestResult) {
        switch result {
        case .saved: stored += 1
        case .duplicate, .superseded: duplicate += 1
        default: refuse(Self.reason(of: result))
        }
    }

    /// Counts one store outcome of an unchecked load (`--no-policy`).
    public mutating func record(_ outcome: InsertOutcome) {
        switch outcome {
        case .saved, .ephemeral: stored += 1
        case .duplicate, .superseded: duplicate += 1
        case .deleted: refuse("blocked: deleted by its author (NIP-09)")
        }
    }

    /// An event counted as refused for `reason` was stored after all (what it needed
    /// arrived later): moved from refused to stored.
    public mutating func recordStoredLater(reason: String) {
        guard let count = refused[reason], count > 0 else { return }
        refused[reason] = count == 1 ? nil : count - 1
        stored += 1
        storedAfterDeferral += 1
    }

    static let unrelatedLabel = "blocked: references no accepted repository or event"

    /// A short, stable label of why `result` was refused (messages that carry a kind number
    /// are grouped under one label).
    public static func reason(of result: IngestResult) -> String {
        switch result {
        case .rejected(.unrelated): return unrelatedLabel
        case .rejected(.malformedAnnouncement): return "invalid: malformed repository announcement"
        case .invalid(let error): return "invalid: \(error.message)"
        default: return result.okAnswer.message
        }
    }

    /// Summary lines: totals, then each refusal reason (most frequent first).
    public func summaryLines() -> [String] {
        var lines = ["stored: \(stored)" + (storedAfterDeferral > 0 ? " (\(storedAfterDeferral) after their reference arrived)" : ""),
                     "duplicate: \(duplicate)",
                     "refused: \(refusedTotal)"]
        for (reason, count) in refused.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            lines.append("  \(count)  \(reason)")
        }
        return lines
    }
}

/// Events refused only for something a later event may bring (a state before its
/// announcement, a comment before its issue: uploads and REQ pages arrive newest first),
/// offered again oldest first once everything has been read. The ingestor's own deferred
/// and rejected indexes already store most of them when the reference arrives; this pass
/// catches the rest and moves every one that ended up stored from refused to stored.
struct LaterResolution {
    private var held: [(event: NostrEvent, reason: String)] = []
    /// Most events held (beyond it refusals stay as counted).
    let cap: Int

    init(cap: Int = 200_000) {
        self.cap = cap
    }

    mutating func note(_ event: NostrEvent, _ result: IngestResult) {
        guard held.count < cap, case .rejected(let why) = result else { return }
        switch why {
        case .unrelated, .noAnnouncement, .notAuthorized, .doesNotListService:
            held.append((event, IngestTally.reason(of: result)))
        default:
            break
        }
    }

    /// Re-offers what is still not stored (oldest first, until a pass stores nothing more)
    /// and moves everything now stored from refused to stored in `tally`.
    mutating func settle(_ ingestor: EventIngestor, into tally: inout IngestTally) {
        let store = ingestor.store
        var pending = held
        held = []
        for _ in 0..<4 where !pending.isEmpty {
            pending = pending.filter { entry in
                guard (try? store.contains(eventID: entry.event.id)) == true else { return true }
                tally.recordStoredLater(reason: entry.reason)
                return false
            }
            guard !pending.isEmpty else { break }
            let before = pending.count
            let ordered = pending.map(\.event).sorted { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id < $1.id }
            _ = ingestor.ingest(batch: ordered)
            pending = pending.filter { entry in
                guard (try? store.contains(eventID: entry.event.id)) == true else { return true }
                tally.recordStoredLater(reason: entry.reason)
                return false
            }
            if pending.count == before { break }
        }
    }
}
