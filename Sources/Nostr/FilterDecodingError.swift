/// Why a filter object was refused; `message` follows the NIP-01 `invalid:` prefix.
public enum FilterDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    case notAnObject
    case wrongType(field: String)
    case badHex(field: String)
    case badTagName(String)

    public var message: String {
        switch self {
        case .notAnObject: return "filter must be an object"
        case .wrongType(let f): return "filter field \(f) has the wrong type"
        case .badHex(let f): return "filter field \(f) must hold 64-character lowercase hex"
        case .badTagName(let n): return "unsupported filter key \(n)"
        }
    }

    public var description: String { "invalid: \(message)" }
}
