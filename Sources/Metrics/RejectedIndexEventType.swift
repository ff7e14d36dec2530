/// The type of a rejected-events index entry: the `event_type` label of the
/// `ngit_sync_rejected_*` metrics (decisions: Binding metric names and encodings).
///
/// Mirrors `Store.RejectedEventType` without depending on `Store`; the raw values are the
/// label values.
public enum RejectedIndexEventType: String, Sendable, CaseIterable, Hashable, Codable {
    /// A rejected repository announcement (kind 30617).
    case announcement
    /// A rejected repository state event (kind 30618).
    case state
}
