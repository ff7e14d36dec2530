/// A forward-only cursor over an incoming message.
///
/// Works on a raw buffer borrowed for the duration of one `reconcile` call, so the
/// hot loop does no bounds-checked array indexing and no copying.
struct NegentropyReader {
    private let base: UnsafeRawBufferPointer
    private var position: Int

    init(_ base: UnsafeRawBufferPointer, position: Int = 0) {
        self.base = base
        self.position = position
    }

    /// Runs `body` with a reader over `message`, starting at `position`.
    /// (Array's `withUnsafeBytes` is `rethrows`, which erases typed errors; Result keeps them.)
    static func read<R>(
        _ message: [UInt8], from position: Int = 0,
        _ body: (inout NegentropyReader) throws(NegentropyError) -> R
    ) throws(NegentropyError) -> R {
        let result: Result<R, NegentropyError> = message.withUnsafeBytes { raw in
            Result { () throws(NegentropyError) -> R in
                var reader = NegentropyReader(raw, position: position)
                return try body(&reader)
            }
        }
        return try result.get()
    }

    var isAtEnd: Bool { position >= base.count }
    var remaining: Int { base.count - position }

    mutating func readByte() throws(NegentropyError) -> UInt8 {
        guard position < base.count else { throw .parseEndsPrematurely }
        defer { position += 1 }
        return base[position]
    }

    mutating func readVarint() throws(NegentropyError) -> UInt64 {
        var result: UInt64 = 0
        while true {
            guard position < base.count else { throw .prematureEndOfVarint }
            let byte = base[position]
            position += 1
            // Overflowing bits fall off the top, as in the reference's uint64 shift.
            result = (result &<< 7) | UInt64(byte & 0x7F)
            if byte & 0x80 == 0 { return result }
        }
    }

    /// Makes sure `count` more bytes exist (count may be any u64 from the wire).
    @inline(__always)
    func require(_ count: UInt64) throws(NegentropyError) {
        guard count <= UInt64(remaining) else { throw .parseEndsPrematurely }
    }

    /// Reads a 32-byte id.
    mutating func readID() throws(NegentropyError) -> NegentropyID {
        try require(32)
        let id = NegentropyID(loadingFrom: base, offset: position)
        position += 32
        return id
    }

    /// Reads a 16-byte fingerprint.
    mutating func readFingerprint() throws(NegentropyError) -> NegentropyFingerprint {
        try require(16)
        let fp = NegentropyFingerprint(loadingFrom: base, offset: position)
        position += 16
        return fp
    }

    /// Reads an id prefix of `length` bytes and pads it with zero bytes to 32.
    /// Checks the length only after the bytes are known to be present, matching the
    /// order of the reference's errors.
    mutating func readIDPrefix(length: UInt64) throws(NegentropyError) -> NegentropyID {
        try require(length)
        guard length <= 32 else { throw .badIdSizeForBound }
        let n = Int(length)
        var id = NegentropyID.zero
        if n == 32 {
            id = NegentropyID(loadingFrom: base, offset: position)
        } else if n > 0 {
            withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { tmp in
                tmp.initializeMemory(as: UInt8.self, repeating: 0)
                tmp.copyMemory(from: UnsafeRawBufferPointer(rebasing: base[position..<(position + n)]))
                id = NegentropyID(loadingFrom: UnsafeRawBufferPointer(tmp), offset: 0)
            }
        }
        position += n
        return id
    }

    /// Skips `count` ids, checking that they are all present.
    mutating func skipIDs(_ count: UInt64) throws(NegentropyError) {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: 32)
        guard !overflow else { throw .parseEndsPrematurely }
        try require(bytes)
        position += Int(bytes)
    }
}
