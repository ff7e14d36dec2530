/// Lowercase hex coding for byte arrays, as used by NIP-77 envelopes and the line harness.
public enum NegentropyHex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lowercase hex.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        // One generic call for contiguous inputs; the byte loop itself is non-generic.
        if let s = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0) }) { return s }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    private static func encode(buffer: UnsafeBufferPointer<UInt8>) -> String {
        digits.withUnsafeBufferPointer { digits in
            String(unsafeUninitializedCapacity: buffer.count * 2) { out in
                var j = 0
                for b in buffer {
                    out[j] = digits[Int(b >> 4)]
                    out[j + 1] = digits[Int(b & 0x0F)]
                    j += 2
                }
                return j
            }
        }
    }

    /// Decodes hex (either case). Returns nil on an odd length or a non-hex character.
    public static func decode(_ hex: some StringProtocol) -> [UInt8]? {
        // Fast path for native strings; other string kinds are copied once.
        if let r = hex.utf8.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return r }
        return Array(hex.utf8).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    private static func decode(buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard buffer.count % 2 == 0 else { return nil }
        let n = buffer.count / 2
        var ok = true
        let out = [UInt8](unsafeUninitializedCapacity: n) { dst, initialized in
            for i in 0..<n {
                guard let hi = nibble(buffer[2 * i]), let lo = nibble(buffer[2 * i + 1]) else {
                    ok = false
                    initialized = 0
                    return
                }
                dst[i] = hi << 4 | lo
            }
            initialized = n
        }
        return ok ? out : nil
    }

    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }
}
