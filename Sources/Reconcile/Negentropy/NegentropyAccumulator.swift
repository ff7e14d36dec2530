import COpenSSLCrypto

/// A 256-bit sum of ids, each read as a little-endian integer, modulo 2^256.
///
/// Addition is incremental and invertible, which lets ``NegentropyStorage`` keep
/// prefix sums and get the sum over any index range with one subtraction.
public struct NegentropyAccumulator: Hashable, Sendable {
    // Little-endian limbs: l0 holds bytes 0..<8 of the sum (least significant).
    var l0: UInt64 = 0
    var l1: UInt64 = 0
    var l2: UInt64 = 0
    var l3: UInt64 = 0

    /// The zero sum.
    public init() {}

    /// Adds an id (mod 2^256).
    public mutating func add(_ id: NegentropyID) {
        // The id's big-endian words hold the bytes in order; byte-swapping gives the
        // little-endian limb value of those same 8 bytes.
        add(l0: id.w0.byteSwapped, l1: id.w1.byteSwapped, l2: id.w2.byteSwapped, l3: id.w3.byteSwapped)
    }

    /// Adds another sum (mod 2^256).
    public mutating func add(_ other: NegentropyAccumulator) {
        add(l0: other.l0, l1: other.l1, l2: other.l2, l3: other.l3)
    }

    /// Subtracts another sum (mod 2^256).
    public mutating func subtract(_ other: NegentropyAccumulator) {
        var borrow: Bool
        (l0, borrow) = l0.subtractingReportingOverflow(other.l0)
        (l1, borrow) = Self.sub(l1, other.l1, borrow)
        (l2, borrow) = Self.sub(l2, other.l2, borrow)
        (l3, _) = Self.sub(l3, other.l3, borrow)
    }

    mutating func add(l0 o0: UInt64, l1 o1: UInt64, l2 o2: UInt64, l3 o3: UInt64) {
        var carry: Bool
        (l0, carry) = l0.addingReportingOverflow(o0)
        (l1, carry) = Self.add(l1, o1, carry)
        (l2, carry) = Self.add(l2, o2, carry)
        (l3, _) = Self.add(l3, o3, carry)
    }

    static func add(_ x: UInt64, _ y: UInt64, _ carryIn: Bool) -> (UInt64, Bool) {
        let (s1, c1) = x.addingReportingOverflow(y)
        let (s2, c2) = s1.addingReportingOverflow(carryIn ? 1 : 0)
        return (s2, c1 || c2)
    }

    static func sub(_ x: UInt64, _ y: UInt64, _ borrowIn: Bool) -> (UInt64, Bool) {
        let (d1, b1) = x.subtractingReportingOverflow(y)
        let (d2, b2) = d1.subtractingReportingOverflow(borrowIn ? 1 : 0)
        return (d2, b1 || b2)
    }

    /// The 32-byte little-endian encoding of the sum.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: (l0.littleEndian, l1.littleEndian, l2.littleEndian, l3.littleEndian)) { Array($0) }
    }

    /// The fingerprint of a set whose ids sum to this value and that holds `count` items.
    public func fingerprint(count: UInt64) -> NegentropyFingerprint {
        // 32 bytes of sum + at most 10 bytes of varint, in a stack buffer.
        var input: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (l0.littleEndian, l1.littleEndian, l2.littleEndian, l3.littleEndian, 0, 0)
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &input) { inBuf in
            let length = 32 + NegentropyVarint.write(count, to: inBuf, at: 32)
            withUnsafeMutableBytes(of: &digest) { outBuf in
                _ = SHA256(
                    inBuf.baseAddress!.assumingMemoryBound(to: UInt8.self), length,
                    outBuf.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return NegentropyFingerprint(a: digest.0, b: digest.1)
    }
}
