/// Errors thrown by the negentropy engine.
///
/// Each case's ``message`` is the exception text of the C++ reference
/// (hoytech/negentropy), so diagnostics and conformance vectors can be compared
/// verbatim.
public enum NegentropyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A fixed-size field (version byte, fingerprint, id, id prefix) runs past the end of the message.
    case parseEndsPrematurely
    /// A varint's continuation bit is set on the last byte of the message.
    case prematureEndOfVarint
    /// The first byte is outside `0x60...0x6F`.
    case invalidProtocolVersionByte
    /// An initiator received a version it does not speak. The payload is `version - 0x60`.
    case unsupportedProtocolVersion(UInt8)
    /// A range carries a mode other than Skip (0), Fingerprint (1) or IdList (2).
    case unexpectedMode
    /// A bound carries an id prefix longer than 32 bytes.
    case badIdSizeForBound
    /// A non-zero frame size limit below 4096 bytes.
    case frameSizeLimitTooSmall
    /// The storage holds the same `(timestamp, id)` twice at seal time.
    case duplicateItemInserted
    /// `insert` or `seal` on storage that is already sealed.
    case alreadySealed
    /// The storage was used before `seal()`.
    case notSealed
    /// `initiate()` was called twice on one instance.
    case alreadyInitiated
    /// The initiator called the responder form of `reconcile`.
    case initiatorNotAskingForHaveNeedIDs
    /// A responder called the initiator form of `reconcile`.
    case nonInitiatorAskingForHaveNeedIDs
    /// An item used the timestamp `UInt64.max`, which the protocol reserves for "infinity".
    case reservedTimestamp

    /// The reference implementation's error text for this case.
    public var message: String {
        switch self {
        case .parseEndsPrematurely: "parse ends prematurely"
        case .prematureEndOfVarint: "premature end of varint"
        case .invalidProtocolVersionByte: "invalid negentropy protocol version byte"
        // The C++ reference concatenates the number without a separator.
        case .unsupportedProtocolVersion(let v): "unsupported negentropy protocol version requested\(v)"
        case .unexpectedMode: "unexpected mode"
        case .badIdSizeForBound: "bad id size for Bound"
        case .frameSizeLimitTooSmall: "frameSizeLimit too small"
        case .duplicateItemInserted: "duplicate item inserted"
        case .alreadySealed: "already sealed"
        case .notSealed: "not sealed"
        case .alreadyInitiated: "already initiated"
        case .initiatorNotAskingForHaveNeedIDs: "initiator not asking for have/need IDs"
        case .nonInitiatorAskingForHaveNeedIDs: "non-initiator asking for have/need IDs"
        // Not a reference error: the C++ Vector storage accepts it silently and then misbehaves.
        case .reservedTimestamp: "timestamp 2^64-1 is reserved for infinity"
        }
    }

    /// Same as ``message``.
    public var description: String { message }
}
