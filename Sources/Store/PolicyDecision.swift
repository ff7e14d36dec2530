/// The acceptance policy's verdict on one event.
public enum PolicyDecision: Sendable, Equatable {
    case accept
    case reject(PolicyRejection)
}
