import Nostr

/// The node's own side of a reconciliation: the stored items a filter selects, and the ids
/// the acceptance policy is known to refuse (never fetched again). The store implements it
/// (wired in App); tests swap in fixed listings.
public protocol LocalItemSource: Sendable {
    /// The sealed negentropy items for `filter` (its limit ignored); throws
    /// ``NegentropyClientFailure/blocked(maxRecords:reason:)`` past the listing cap.
    func negentropyStorage(for filter: Filter) throws -> NegentropyStorage
    /// The sealed union of the items of `filters` (each event once).
    func negentropyStorage(forUnionOf filters: some Sequence<Filter>) throws -> NegentropyStorage
    /// Ids the acceptance policy refused and still refuses.
    func knownRejectedIDs() -> Set<String>
}
