/// Why a 30617/30618 sits in the rejected-events index (the reference's encodings;
/// decisions: Rejected-events index).
public enum RejectedReason: String, Sendable, Codable, Equatable {
    case doesNotListService = "DoesNotListService"
    case maintainerNotYetValid = "MaintainerNotYetValid"
    case other = "Other"
}

/// Which kind of event a rejected-index entry holds; also the `event_type` metric label.
public enum RejectedEventType: String, Sendable, Codable, Equatable, CaseIterable {
    case announcement = "Announcement"
    case state = "State"

    /// The Prometheus label value.
    public var metricLabel: String { self == .announcement ? "announcement" : "state" }

    /// The type for a kind, nil when the index does not track it.
    public init?(kind: Int) {
        switch kind {
        case 30617: self = .announcement
        case 30618: self = .state
        default: return nil
        }
    }
}
