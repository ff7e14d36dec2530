/// Lowercase hexadecimal encoding and strict decoding, as Nostr uses for ids, keys and signatures.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lowercase hex.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case). Returns nil for odd length or any non-hex character.
    public static func decode(_ string: String) -> [UInt8]? {
        var utf8 = Array(string.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: utf8.count / 2)
        var ok = true
        utf8.withUnsafeMutableBufferPointer { src in
            for i in 0..<out.count {
                guard let hi = nibble(src[2 * i]), let lo = nibble(src[2 * i + 1]) else { ok = false; return }
                out[i] = hi << 4 | lo
            }
        }
        return ok ? out : nil
    }

    /// True when `string` is exactly `byteCount` bytes of lowercase hex (the NIP-01 form of ids and keys).
    public static func isLowercaseHex(_ string: String, byteCount: Int) -> Bool {
        var count = 0
        for c in string.utf8 {
            guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) else { return false }
            count += 1
        }
        return count == byteCount * 2
    }

    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}
