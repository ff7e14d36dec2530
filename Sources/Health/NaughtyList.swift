/// Relays whose connection failures look like persistent misconfiguration (decisions: Naughty
/// list).
///
/// A pure value with injected time. In the reference the list is observational only; here
/// the failures that put a relay on it also make the tracker wait at least
/// ``HealthConfiguration/misconfigurationMinimumDelay`` before the next attempt, and a
/// successful connection takes the relay off the list at once.
///
/// An entry is listed while `now − firstSeen < expiry`. Expiry counts from the *first*
/// failure, so a relay that keeps failing is dropped and listed afresh every `expiry`
/// seconds (reference behaviour; each re-listing is logged as new).
public struct NaughtyList: Sendable, Equatable {
    /// Whether ``record(_:category:reason:at:)`` created an entry or updated one. A new
    /// entry deserves a warning log, an update a debug log.
    public enum RecordOutcome: Sendable, Equatable {
        case new
        case existing
    }

    /// Seconds an entry stays listed, counted from its ``NaughtyListEntry/firstSeen``.
    public let expiry: Double
    /// All entries by URL, including expired ones not yet removed by ``removeExpired(at:)``.
    public private(set) var entries: [String: NaughtyListEntry] = [:]

    /// Creates an empty list whose entries expire `expiry` seconds after listing (12 h by
    /// default).
    public init(expiry: Double = 43_200) {
        self.expiry = expiry
    }

    /// Records a misconfiguration failure of `url`.
    ///
    /// The first failure (or the first after the previous entry expired) creates an entry
    /// with `count = 1`; later ones update `lastSeen`, `reason` and `count` but keep the
    /// original category and `firstSeen`.
    @discardableResult
    public mutating func record(
        _ url: String, category: MisconfigurationCategory, reason: String, at now: Double
    ) -> RecordOutcome {
        if var entry = entries[url], isListed(entry, at: now) {
            entry.lastSeen = now
            entry.reason = reason
            entry.count += 1
            entries[url] = entry
            return .existing
        }
        entries[url] = NaughtyListEntry(
            url: url, category: category, reason: reason, firstSeen: now, lastSeen: now, count: 1)
        return .new
    }

    /// Whether `url` is listed and its entry has not expired at `now`.
    public func isNaughty(_ url: String, at now: Double) -> Bool {
        entry(for: url, at: now) != nil
    }

    /// The unexpired entry of `url`, if any.
    public func entry(for url: String, at now: Double) -> NaughtyListEntry? {
        guard let entry = entries[url], isListed(entry, at: now) else { return nil }
        return entry
    }

    /// All unexpired entries, sorted by URL.
    public func listed(at now: Double) -> [NaughtyListEntry] {
        entries.values.filter { isListed($0, at: now) }.sorted { $0.url < $1.url }
    }

    /// The number of unexpired entries per category; every category is present (zero if
    /// empty), because the `ngit_sync_naughty_relays_total` gauge always exports all three.
    public func counts(at now: Double) -> [MisconfigurationCategory: Int] {
        var counts = Dictionary(uniqueKeysWithValues: MisconfigurationCategory.allCases.map { ($0, 0) })
        for entry in entries.values where isListed(entry, at: now) {
            counts[entry.category, default: 0] += 1
        }
        return counts
    }

    /// Removes expired entries and returns their URLs, sorted (each deserves an info log:
    /// "will retry").
    public mutating func removeExpired(at now: Double) -> [String] {
        let expired = entries.values.filter { !isListed($0, at: now) }.map(\.url).sorted()
        for url in expired { entries[url] = nil }
        return expired
    }

    /// Removes `url` whatever its age; returns whether it was present.
    @discardableResult
    public mutating func remove(_ url: String) -> Bool {
        entries.removeValue(forKey: url) != nil
    }

    private func isListed(_ entry: NaughtyListEntry, at now: Double) -> Bool {
        now - entry.firstSeen < expiry
    }
}
