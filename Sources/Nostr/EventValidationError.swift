/// Why an event was refused before it reached the store. `message` is the text after the
/// NIP-01 `invalid:` prefix in an `OK false` answer.
public enum EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingField(String)
    case wrongType(String)
    case badHex(field: String)
    case kindOutOfRange
    case idMismatch
    case badSignature
    case tooManyTags(limit: Int)
    case contentTooLong(limit: Int)
    case createdAtTooFarInFuture(limit: Int64)

    public var message: String {
        switch self {
        case .missingField(let f): return "missing field \(f)"
        case .wrongType(let f): return "field \(f) has the wrong type"
        case .badHex(let f): return "field \(f) is not lowercase hex of the right length"
        case .kindOutOfRange: return "kind must be an integer between 0 and 65535"
        case .idMismatch: return "event id does not match"
        case .badSignature: return "signature verification failed"
        case .tooManyTags(let limit): return "too many tags (limit \(limit))"
        case .contentTooLong(let limit): return "content too long (limit \(limit) bytes)"
        case .createdAtTooFarInFuture(let limit): return "created_at more than \(limit) seconds in the future"
        }
    }

    public var description: String { "invalid: \(message)" }
}
