import Nostr

/// In-flight historic batches per relay (decisions: Three indexes and one diff).
///
/// Batches keep their insertion order per relay; ids increase from 1 across all relays.
public struct PendingSyncIndex: Sendable, Equatable {
    private var byRelay: [RelayURL: [PendingBatch]] = [:]
    private var relayOfBatch: [Int: RelayURL] = [:]
    /// Per relay, how many pending batches of fewer than ``largeBatchRoots`` roots hold each
    /// root event: the three-way diff asks "is this root in flight?" once per desired root,
    /// which must not cost a lookup in every pending batch (hundreds of thousands of roots
    /// times hundreds of small batches at a million events).
    private var rootBatchCounts: [RelayURL: [String: Int]] = [:]
    /// Per relay, the pending batches of ``largeBatchRoots`` roots or more: asked directly
    /// (there are few: each holds that many roots), since counting their roots would copy a
    /// whole store's root ids into the counts (25 MB at a million events, the re-sync's batch).
    private var largeBatches: [RelayURL: [Int: Set<String>]] = [:]
    /// Batches with this many roots are asked directly instead of counted.
    public static let largeBatchRoots = 50_000
    private var nextID = 1

    /// An empty index whose first batch gets id 1.
    public init() {}

    /// Records a new batch for `relay` and returns it (with the next id).
    ///
    /// Register the batch **before** sending its requests (decisions: Register before you request).
    @discardableResult
    public mutating func add(relay: RelayURL, repos: [RepoRef: SyncLevel], rootEvents: Set<String>) -> PendingBatch {
        let batch = PendingBatch(id: nextID, relay: relay, repos: repos, rootEvents: rootEvents)
        nextID += 1
        byRelay[relay, default: []].append(batch)
        relayOfBatch[batch.id] = relay
        if rootEvents.count >= Self.largeBatchRoots {
            largeBatches[relay, default: [:]][batch.id] = rootEvents
            return batch
        }
        var counts = rootBatchCounts.removeValue(forKey: relay) ?? [:]
        for root in rootEvents { counts[root, default: 0] += 1 }
        rootBatchCounts[relay] = counts
        return batch
    }

    /// Removes a batch and returns it (to be confirmed); nil when it is unknown (for example
    /// dropped by ``removeAll(for:)`` on disconnect).
    @discardableResult
    public mutating func complete(_ id: Int) -> PendingBatch? {
        guard let relay = relayOfBatch.removeValue(forKey: id),
              var list = byRelay[relay],
              let index = list.firstIndex(where: { $0.id == id }) else { return nil }
        let batch = list.remove(at: index)
        byRelay[relay] = list.isEmpty ? nil : list
        forgetRoots(of: batch, on: relay)
        return batch
    }

    /// Marks a batch as failed (known missing data); it stays pending until completed.
    public mutating func markFailed(_ id: Int) {
        guard let relay = relayOfBatch[id], let index = byRelay[relay]?.firstIndex(where: { $0.id == id }) else { return }
        byRelay[relay]![index].failed = true
    }

    /// The batch with `id`, if pending.
    public func batch(_ id: Int) -> PendingBatch? {
        guard let relay = relayOfBatch[id] else { return nil }
        return byRelay[relay]?.first { $0.id == id }
    }

    /// The pending batches of `relay`, oldest first.
    public func batches(for relay: RelayURL) -> [PendingBatch] { byRelay[relay] ?? [] }

    /// Drops every batch of `relay` (disconnect, fresh start) and returns them.
    @discardableResult
    public mutating func removeAll(for relay: RelayURL) -> [PendingBatch] {
        let removed = byRelay.removeValue(forKey: relay) ?? []
        for batch in removed { relayOfBatch[batch.id] = nil }
        rootBatchCounts[relay] = nil
        largeBatches[relay] = nil
        return removed
    }

    /// Whether a pending batch of `relay` holds root event `id`.
    public func hasPendingRoot(_ id: String, on relay: RelayURL) -> Bool {
        if rootBatchCounts[relay]?[id] != nil { return true }
        return largeBatches[relay]?.values.contains { $0.contains(id) } ?? false
    }

    private mutating func forgetRoots(of batch: PendingBatch, on relay: RelayURL) {
        if largeBatches[relay]?.removeValue(forKey: batch.id) != nil {
            if largeBatches[relay]?.isEmpty == true { largeBatches[relay] = nil }
            return
        }
        guard var counts = rootBatchCounts.removeValue(forKey: relay) else { return }
        for root in batch.rootEvents {
            guard let n = counts[root] else { continue }
            counts[root] = n > 1 ? n - 1 : nil
        }
        if !counts.isEmpty { rootBatchCounts[relay] = counts }
    }

    /// Whether `relay` has a batch in flight.
    public func hasPending(for relay: RelayURL) -> Bool { byRelay[relay] != nil }

    /// Relays with a batch in flight, sorted.
    public var relays: [RelayURL] { byRelay.keys.sorted() }

    /// Whether no batch is in flight anywhere.
    public var isEmpty: Bool { byRelay.isEmpty }

    /// Total number of pending batches.
    public var count: Int { relayOfBatch.count }
}
