/// The 16-byte fingerprint of a set of items: the first half of
/// `SHA-256(sum of ids as 256-bit little-endian integers mod 2^256 || varint(count))`.
///
/// Held as two words in raw memory order so comparison is two integer compares.
public struct NegentropyFingerprint: Hashable, Sendable, CustomStringConvertible {
    var a: UInt64
    var b: UInt64

    init(a: UInt64, b: UInt64) {
        self.a = a
        self.b = b
    }

    /// Reads 16 bytes at `offset`; the caller guarantees they exist.
    init(loadingFrom buffer: UnsafeRawBufferPointer, offset: Int) {
        a = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        b = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
    }

    /// The 16 bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(to: &out)
        return out
    }

    /// The 16 bytes as lowercase hex.
    public var description: String { NegentropyHex.encode(bytes) }

    func append(to out: inout [UInt8]) {
        withUnsafeBytes(of: (a, b)) { out.append(contentsOf: $0) }
    }
}
