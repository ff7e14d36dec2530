import Foundation

/// Why a saved rejected-events index could not be restored.
public enum RejectedIndexPersistenceError: Error, Sendable, Equatable {
    case unreadable(String)
    case corrupt(String)
    case unwritable(String)
}

extension RejectedEventsIndex {
    /// The reference's file format (decisions: Rejected-events index): ages in seconds at save
    /// time, so TTLs keep counting across downtime.
    struct Snapshot: Codable {
        struct Hot: Codable {
            var event: StoredEventJSON
            var pubkey: String
            var identifier: String
            var event_type: RejectedEventType
            var reason: RejectedReason
            var cached_at_offset_secs: Double
        }
        struct Cold: Codable {
            var pubkey: String
            var identifier: String
            var event_type: RejectedEventType
            var reason: RejectedReason
            var rejected_at_offset_secs: Double
        }
        struct Tier<Entry: Codable>: Codable {
            var expiry_duration_secs: Double
            var entries: [String: Entry]
        }
        var version: Int
        var saved_at: Double
        var hot_cache: Tier<Hot>
        var cold_index: Tier<Cold>
    }

    /// Writes the index to `url` atomically (shutdown).
    public func save(to url: URL, now: Double) throws(RejectedIndexPersistenceError) {
        let (hotEntries, coldEntries) = withEntries { ($0, $1) }
        let snapshot = Snapshot(
            version: 1, saved_at: now,
            hot_cache: .init(expiry_duration_secs: hotTTL, entries: hotEntries.mapValues {
                .init(event: $0.event, pubkey: $0.pubkey, identifier: $0.identifier, event_type: $0.type, reason: $0.reason,
                      cached_at_offset_secs: max(0, now - $0.cachedAt))
            }),
            cold_index: .init(expiry_duration_secs: coldTTL, entries: coldEntries.mapValues {
                .init(pubkey: $0.pubkey, identifier: $0.identifier, event_type: $0.type, reason: $0.reason,
                      rejected_at_offset_secs: max(0, now - $0.rejectedAt))
            }))
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(snapshot).write(to: url, options: .atomic)
        } catch {
            throw .unwritable(String(describing: error))
        }
    }

    /// Restores entries saved by `save`, counting the downtime (`now - saved_at`) against
    /// their lifetimes, then deletes the file so a crash later cannot resurrect stale state.
    /// A missing file is not an error (returns false); a corrupt one throws and is removed.
    @discardableResult
    public func restore(from url: URL, now: Double) throws(RejectedIndexPersistenceError) -> Bool {
        guard FileManager.default.fileExists(atPath: url.path) else { return false }
        defer { try? FileManager.default.removeItem(at: url) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(String(describing: error)) }
        let snapshot: Snapshot
        do { snapshot = try JSONDecoder().decode(Snapshot.self, from: data) } catch { throw .corrupt(String(describing: error)) }
        guard snapshot.version == 1 else { throw .corrupt("unknown version \(snapshot.version)") }
        let downtime = max(0, now - snapshot.saved_at)
        let hotEntries = snapshot.hot_cache.entries.mapValues {
            HotEntry(event: $0.event, pubkey: $0.pubkey, identifier: $0.identifier, type: $0.event_type, reason: $0.reason,
                     cachedAt: now - ($0.cached_at_offset_secs + downtime))
        }
        let coldEntries = snapshot.cold_index.entries.mapValues {
            ColdEntry(pubkey: $0.pubkey, identifier: $0.identifier, type: $0.event_type, reason: $0.reason,
                      rejectedAt: now - ($0.rejected_at_offset_secs + downtime))
        }
        replaceEntries(hot: hotEntries, cold: coldEntries)
        cleanup(now: now)
        return true
    }
}
