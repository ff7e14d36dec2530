/// JSON string escaping in the exact form NIP-01 prescribes for the canonical event serialisation.
///
/// Only `"`, `\`, and control characters are escaped; `\n`, `\"`, `\\`, `\r`, `\t`, `\b`, `\f`
/// use their short forms, other control characters `\u00XX`; everything else (including
/// non-ASCII and `/`) is written verbatim.
public enum JSONString {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as a quoted, escaped JSON string.
    public static func append(_ value: String, to out: inout String) {
        // Fast path: nothing to escape.
        var needsEscape = false
        for c in value.utf8 where c < 0x20 || c == 0x22 || c == 0x5c {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += "\""
            out += value
            out += "\""
            return
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(value.utf8.count + 8)
        bytes.append(0x22)
        for c in value.utf8 {
            switch c {
            case 0x22: bytes += [0x5c, 0x22]
            case 0x5c: bytes += [0x5c, 0x5c]
            case 0x0a: bytes += [0x5c, 0x6e]
            case 0x0d: bytes += [0x5c, 0x72]
            case 0x09: bytes += [0x5c, 0x74]
            case 0x08: bytes += [0x5c, 0x62]
            case 0x0c: bytes += [0x5c, 0x66]
            case 0..<0x20:
                bytes += [0x5c, 0x75, 0x30, 0x30, hexDigits[Int(c >> 4)], hexDigits[Int(c & 0xf)]]
            default: bytes.append(c)
            }
        }
        bytes.append(0x22)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// `value` as a quoted, escaped JSON string.
    public static func quoted(_ value: String) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }
}
