/// A tier of the rejected-events index (decisions: Rejected-events index).
public enum RejectedIndexTier: String, Sendable, CaseIterable, Hashable, Codable {
    /// Full events, kept for a short TTL (120 s) for re-processing.
    case hot
    /// Metadata only, kept for a long TTL (7 days) to avoid re-downloading.
    case cold
}
