/// Why the node could not start.
public enum NodeError: Error, CustomStringConvertible {
    case dataDirectory(String)
    case store(String)
    case configuration(String)

    public var description: String {
        switch self {
        case .dataDirectory(let m): return "cannot use data directory: \(m)"
        case .store(let m): return "cannot open the event store: \(m)"
        case .configuration(let m): return "invalid configuration: \(m)"
        }
    }
}
