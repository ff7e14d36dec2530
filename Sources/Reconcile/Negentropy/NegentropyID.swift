/// A 32-byte record id (a Nostr event id).
///
/// Stored as four big-endian 64-bit words so that comparison is lexical byte order
/// in four integer compares and the value lives inline (no heap allocation).
public struct NegentropyID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Bytes 0..<8, 8..<16, 16..<24, 24..<32, each read as a big-endian integer.
    var w0: UInt64
    var w1: UInt64
    var w2: UInt64
    var w3: UInt64

    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// The all-zero id (the lowest possible key; also the padding of an empty bound).
    public static let zero = NegentropyID(w0: 0, w1: 0, w2: 0, w3: 0)

    /// Creates an id from exactly 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        // Contiguous inputs ([UInt8], Data, slices) load as four words; this also
        // spares callers in other modules the unspecialised per-byte generic path.
        if let id = bytes.withContiguousStorageIfAvailable({ buf in
            NegentropyID(loadingFrom: UnsafeRawBufferPointer(buf), offset: 0)
        }) {
            self = id
            return
        }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var i = 0
        for b in bytes {
            let v = UInt64(b)
            switch i >> 3 {
            case 0: words.0 = words.0 << 8 | v
            case 1: words.1 = words.1 << 8 | v
            case 2: words.2 = words.2 << 8 | v
            default: words.3 = words.3 << 8 | v
            }
            i += 1
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    /// Creates an id from 64 hex characters (either case); nil otherwise.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = NegentropyHex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// Reads 32 bytes at `offset`; the caller guarantees they exist.
    public init(loadingFrom buffer: UnsafeRawBufferPointer, offset: Int) {
        self.init(
            w0: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            w1: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)),
            w2: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)),
            w3: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
    }

    /// The 32 bytes of the id.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        append(to: &out)
        return out
    }

    /// The id as 64 lowercase hex characters.
    public var hex: String { NegentropyHex.encode(bytes) }

    /// Same as ``hex``.
    public var description: String { hex }

    /// Appends all 32 bytes to `out`.
    func append(to out: inout [UInt8]) {
        withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) {
            out.append(contentsOf: $0)
        }
    }

    /// Appends the first `length` bytes (0...32) to `out`.
    func appendPrefix(_ length: Int, to out: inout [UInt8]) {
        if length == 32 { return append(to: &out) }
        withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) {
            out.append(contentsOf: $0.prefix(length))
        }
    }

    /// Number of leading bytes this id shares with `other` (0...32).
    func sharedPrefixLength(with other: NegentropyID) -> Int {
        var x = w0 ^ other.w0
        if x != 0 { return x.leadingZeroBitCount >> 3 }
        x = w1 ^ other.w1
        if x != 0 { return 8 + x.leadingZeroBitCount >> 3 }
        x = w2 ^ other.w2
        if x != 0 { return 16 + x.leadingZeroBitCount >> 3 }
        x = w3 ^ other.w3
        if x != 0 { return 24 + x.leadingZeroBitCount >> 3 }
        return 32
    }

    /// Lexical byte order.
    public static func < (a: NegentropyID, b: NegentropyID) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        return a.w3 < b.w3
    }
}

extension NegentropyID {
    /// This id with every byte from `length` on set to zero.
    func masked(toPrefix length: Int) -> NegentropyID {
        @inline(__always) func mask(_ word: UInt64, _ bytesKept: Int) -> UInt64 {
            if bytesKept >= 8 { return word }
            if bytesKept <= 0 { return 0 }
            return word & ~(UInt64.max >> UInt64(bytesKept * 8))
        }
        return NegentropyID(w0: mask(w0, length), w1: mask(w1, length - 8), w2: mask(w2, length - 16), w3: mask(w3, length - 24))
    }
}
