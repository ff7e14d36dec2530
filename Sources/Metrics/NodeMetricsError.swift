/// Errors from setting up ``NodeMetrics``.
public enum NodeMetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The registry already holds metrics with these names, typically because a
    /// ``NodeMetrics`` was created on it before. Registering the node's metrics twice on
    /// one registry is refused (the reference's `AlreadyReg` error; decisions: Binding metric
    /// names and encodings): the two
    /// instances would otherwise silently share, and fight over, the same series.
    case alreadyRegistered([String])

    public var description: String {
        switch self {
        case .alreadyRegistered(let names):
            "metrics already registered on this registry: \(names.joined(separator: ", "))"
        }
    }
}
