/// The negentropy varint: base-128, most significant group first, high bit set on
/// every byte but the last, minimal length. (Big-endian, unlike protobuf's LEB128.)
public enum NegentropyVarint {
    /// Number of bytes the encoding of `n` takes (1...10).
    public static func encodedLength(_ n: UInt64) -> Int {
        let bits = 64 - n.leadingZeroBitCount
        return bits == 0 ? 1 : (bits + 6) / 7
    }

    /// Appends the encoding of `n` to `out`.
    public static func append(_ n: UInt64, to out: inout [UInt8]) {
        if n < 0x80 {  // the common case: counts, modes, small deltas
            out.append(UInt8(truncatingIfNeeded: n))
            return
        }
        var i = encodedLength(n) - 1
        while i > 0 {
            out.append(UInt8(truncatingIfNeeded: n >> UInt64(7 * i)) & 0x7F | 0x80)
            i -= 1
        }
        out.append(UInt8(truncatingIfNeeded: n) & 0x7F)
    }

    /// Writes the encoding of `n` at `offset` in `buffer` and returns its length.
    /// The buffer must have room for 10 bytes.
    static func write(_ n: UInt64, to buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        let len = encodedLength(n)
        var i = len - 1
        var pos = offset
        while i > 0 {
            buffer[pos] = UInt8(truncatingIfNeeded: n >> UInt64(7 * i)) & 0x7F | 0x80
            pos += 1
            i -= 1
        }
        buffer[pos] = UInt8(truncatingIfNeeded: n) & 0x7F
        return len
    }

    /// Encodes `n` as a new byte array.
    public static func encode(_ n: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        append(n, to: &out)
        return out
    }

    /// Decodes one varint that must span exactly `bytes`.
    ///
    /// Like the reference, over-long inputs are not rejected: bits shifted past
    /// 64 are dropped. Throws ``NegentropyError/prematureEndOfVarint`` if the
    /// last byte has its continuation bit set, and
    /// ``NegentropyError/parseEndsPrematurely`` on trailing bytes.
    public static func decode(_ bytes: [UInt8]) throws(NegentropyError) -> UInt64 {
        try NegentropyReader.read(bytes) { (reader) throws(NegentropyError) -> UInt64 in
            let v = try reader.readVarint()
            guard reader.isAtEnd else { throw .parseEndsPrematurely }
            return v
        }
    }
}
