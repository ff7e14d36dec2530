/// One side of a negentropy (NIP-77, protocol v1) range-based set reconciliation.
///
/// A pure state machine, byte-for-byte compatible with the C++ reference
/// (hoytech/negentropy): no I/O, no clocks. The initiator (client) calls
/// ``initiate()`` and then feeds every reply to
/// ``reconcile(_:have:need:)`` until it returns nil. The responder (relay) feeds
/// each incoming message to ``reconcile(_:)`` and sends back the result.
///
/// With a frame size limit, a session may report the same id in more than one
/// round: callers must de-duplicate `have`/`need`.
public struct Negentropy: Sendable {
    /// The protocol version byte this implementation speaks (v1).
    public static let protocolVersion: UInt8 = 0x61

    /// Smallest accepted non-zero frame size limit.
    public static let minimumFrameSizeLimit = 4096

    // Wire modes of a range.
    static let modeSkip: UInt64 = 0
    static let modeFingerprint: UInt64 = 1
    static let modeIdList: UInt64 = 2

    /// Ranges with fewer than `2 * bucketCount` items are sent as an IdList.
    static let bucketCount = 16

    /// The sealed item set this side reconciles.
    public let storage: NegentropyStorage
    /// Maximum size of an outgoing message in bytes; 0 means unlimited.
    public let frameSizeLimit: Int
    /// True once ``initiate()`` has been called.
    public private(set) var isInitiator = false

    // Bound timestamps are delta-coded; both states reset at every message.
    var lastTimestampIn: UInt64 = 0
    var lastTimestampOut: UInt64 = 0

    /// Creates an instance over sealed storage.
    /// - Parameter frameSizeLimit: 0 for unlimited, otherwise at least 4096.
    /// - Throws: ``NegentropyError/frameSizeLimitTooSmall``, ``NegentropyError/notSealed``.
    public init(storage: NegentropyStorage, frameSizeLimit: Int = 0) throws(NegentropyError) {
        guard frameSizeLimit == 0 || frameSizeLimit >= Self.minimumFrameSizeLimit else {
            throw .frameSizeLimitTooSmall
        }
        guard storage.isSealed else { throw .notSealed }
        self.storage = storage
        self.frameSizeLimit = frameSizeLimit
    }

    /// Makes this instance the initiator and returns the first message.
    /// - Throws: ``NegentropyError/alreadyInitiated``.
    public mutating func initiate() throws(NegentropyError) -> [UInt8] {
        guard !isInitiator else { throw .alreadyInitiated }
        isInitiator = true
        lastTimestampOut = 0
        var out: [UInt8] = [Self.protocolVersion]
        splitRange(0, storage.count, upperBound: .infinity, into: &out)
        return out
    }

    /// Responder: processes a message from the initiator and returns the reply.
    ///
    /// Always returns a message (possibly just the version byte). A request in an
    /// unknown protocol version (first byte `0x60...0x6F` other than `0x61`) gets the
    /// single byte `0x61`, and the instance stays usable.
    /// - Throws: a ``NegentropyError`` for a malformed message, or
    ///   ``NegentropyError/initiatorNotAskingForHaveNeedIDs`` on an initiator.
    public mutating func reconcile(_ message: [UInt8]) throws(NegentropyError) -> [UInt8] {
        guard !isInitiator else { throw .initiatorNotAskingForHaveNeedIDs }
        var have: [NegentropyID] = []
        var need: [NegentropyID] = []
        return try reconcileMessage(message, have: &have, need: &need)
    }

    /// Initiator: processes a reply from the responder.
    ///
    /// Appends ids only this side holds to `have` and ids only the peer holds to
    /// `need`, and returns the next message to send, or nil when reconciliation is
    /// complete.
    /// - Throws: a ``NegentropyError`` for a malformed message or an unsupported
    ///   version, or ``NegentropyError/nonInitiatorAskingForHaveNeedIDs`` before
    ///   ``initiate()``.
    public mutating func reconcile(
        _ message: [UInt8], have: inout [NegentropyID], need: inout [NegentropyID]
    ) throws(NegentropyError) -> [UInt8]? {
        guard isInitiator else { throw .nonInitiatorAskingForHaveNeedIDs }
        let out = try reconcileMessage(message, have: &have, need: &need)
        return out.count == 1 ? nil : out
    }

    // MARK: - Core

    @inline(__always)
    private func exceedsFrameSizeLimit(_ size: Int) -> Bool {
        frameSizeLimit != 0 && size > frameSizeLimit - 200
    }

    private mutating func reconcileMessage(
        _ message: [UInt8], have: inout [NegentropyID], need: inout [NegentropyID]
    ) throws(NegentropyError) -> [UInt8] {
        lastTimestampIn = 0
        lastTimestampOut = 0
        var out: [UInt8] = [Self.protocolVersion]

        guard let version = message.first else { throw .parseEndsPrematurely }
        guard version >= 0x60 && version <= 0x6F else { throw .invalidProtocolVersionByte }
        if version != Self.protocolVersion {
            if isInitiator { throw .unsupportedProtocolVersion(version - 0x60) }
            return out  // tell the initiator which version we speak
        }

        try NegentropyReader.read(message, from: 1) { (reader) throws(NegentropyError) in
            try processRanges(&reader, into: &out, have: &have, need: &need)
        }
        return out
    }

    private mutating func processRanges(
        _ reader: inout NegentropyReader, into out: inout [UInt8],
        have: inout [NegentropyID], need: inout [NegentropyID]
    ) throws(NegentropyError) {
        let storageSize = storage.count
        var prevBound = NegentropyBound.zero
        var prevIndex = 0
        var skip = false
        // Scratch for the initiator's IdList diff, reused across ranges.
        var theirIDs: [NegentropyID] = []

        while !reader.isAtEnd {
            // Output up to `committed` is final; bytes after it belong to the range being
            // handled and are dropped if the frame limit trips.
            var committed = out.count

            let currBound = try decodeBound(&reader)
            let mode = try reader.readVarint()

            let lower = prevIndex
            var upper = storage.lowerBound(from: prevIndex, to: storageSize, of: currBound)

            switch mode {
            case Self.modeSkip:
                skip = true

            case Self.modeFingerprint:
                let theirs = try reader.readFingerprint()
                if theirs != storage.fingerprint(lower, upper) {
                    flushSkip(&skip, prevBound, into: &out)
                    splitRange(lower, upper, upperBound: currBound, into: &out)
                } else {
                    skip = true
                }

            case Self.modeIdList:
                let numIDs = try reader.readVarint()
                if isInitiator {
                    theirIDs.removeAll(keepingCapacity: true)
                    try reader.require(min(numIDs, UInt64(Int.max / 32)) * 32)
                    for _ in 0..<numIDs { theirIDs.append(try reader.readID()) }
                    diffIDList(theirIDs: &theirIDs, lower: lower, upper: upper, have: &have, need: &need)
                    skip = true
                } else {
                    try reader.skipIDs(numIDs)  // the responder only answers with its own ids
                    flushSkip(&skip, prevBound, into: &out)

                    // Cut the list at the first id that would take the message over the
                    // limit. Like the reference, this counts the output committed before
                    // this range plus the ids, not the pending skip or the range header.
                    var endBound = currBound
                    var sendCount = 0
                    for index in lower..<upper {
                        if exceedsFrameSizeLimit(committed + sendCount * 32) {
                            endBound = NegentropyBound(storage[index])
                            upper = index  // so the trailing fingerprint starts at the first unsent id
                            break
                        }
                        sendCount += 1
                    }

                    encodeBound(endBound, into: &out)
                    NegentropyVarint.append(Self.modeIdList, to: &out)
                    NegentropyVarint.append(UInt64(sendCount), to: &out)
                    appendIDs(lower, lower + sendCount, into: &out)
                    committed = out.count  // already cut to fit, so it is kept
                }

            default:
                throw .unexpectedMode
            }

            if exceedsFrameSizeLimit(out.count) {
                // Drop this range's output and ask the peer to redo everything from here on.
                out.removeSubrange(committed...)
                let remaining = storage.fingerprint(upper, storageSize)
                encodeBound(.infinity, into: &out)
                NegentropyVarint.append(Self.modeFingerprint, to: &out)
                remaining.append(to: &out)
                break
            }

            prevIndex = upper
            prevBound = currBound
        }
    }

    /// Writes the pending (coalesced) Skip range, if any, ending at `prevBound`.
    @inline(__always)
    private mutating func flushSkip(_ skip: inout Bool, _ prevBound: NegentropyBound, into out: inout [UInt8]) {
        guard skip else { return }
        skip = false
        encodeBound(prevBound, into: &out)
        NegentropyVarint.append(Self.modeSkip, to: &out)
    }

    /// Initiator side of an IdList: local-only ids go to `have`, remote-only to `need`.
    /// Each remote id matches at most one local item, as in the reference's set erase.
    private func diffIDList(
        theirIDs: inout [NegentropyID], lower: Int, upper: Int,
        have: inout [NegentropyID], need: inout [NegentropyID]
    ) {
        theirIDs.sort()
        // Drop repeats: the reference collects the remote ids into a set.
        var unique = 0
        for i in theirIDs.indices where i == 0 || theirIDs[i] != theirIDs[unique - 1] {
            theirIDs[unique] = theirIDs[i]
            unique += 1
        }
        theirIDs.removeLast(theirIDs.count - unique)

        var matched = [Bool](repeating: false, count: unique)
        theirIDs.withUnsafeBufferPointer { theirs in
            for index in lower..<upper {
                let id = storage[index].id
                // Binary search in the sorted remote ids.
                var low = 0
                var length = theirs.count
                while length > 0 {
                    let half = length >> 1
                    if theirs[low + half] < id {
                        low += half + 1
                        length -= half + 1
                    } else {
                        length = half
                    }
                }
                if low < theirs.count && theirs[low] == id && !matched[low] {
                    matched[low] = true
                } else {
                    have.append(id)
                }
            }
            for i in 0..<theirs.count where !matched[i] {
                need.append(theirs[i])
            }
        }
    }

    /// Describes `items[lower..<upper]`, which ends at `upperBound`: one IdList below
    /// 32 items, else 16 Fingerprint buckets split by count (the first `count % 16`
    /// one larger), each ending at the minimal bound before the next bucket.
    private mutating func splitRange(_ lower: Int, _ upper: Int, upperBound: NegentropyBound, into out: inout [UInt8]) {
        let numElems = upper - lower
        let buckets = Self.bucketCount

        if numElems < buckets * 2 {
            encodeBound(upperBound, into: &out)
            NegentropyVarint.append(Self.modeIdList, to: &out)
            NegentropyVarint.append(UInt64(numElems), to: &out)
            appendIDs(lower, upper, into: &out)
            return
        }

        let itemsPerBucket = numElems / buckets
        let bucketsWithExtra = numElems % buckets
        var curr = lower
        for i in 0..<buckets {
            let bucketSize = itemsPerBucket + (i < bucketsWithExtra ? 1 : 0)
            let fingerprint = storage.fingerprint(curr, curr + bucketSize)
            curr += bucketSize
            let nextBound = curr == upper
                ? upperBound
                : NegentropyBound.minimal(between: storage[curr - 1], and: storage[curr])
            encodeBound(nextBound, into: &out)
            NegentropyVarint.append(Self.modeFingerprint, to: &out)
            fingerprint.append(to: &out)
        }
    }

    @inline(__always)
    private func appendIDs(_ lower: Int, _ upper: Int, into out: inout [UInt8]) {
        guard upper > lower else { return }
        out.reserveCapacity(out.count + (upper - lower) * 32)
        storage.items.withUnsafeBufferPointer { items in
            for i in lower..<upper { items[i].id.append(to: &out) }
        }
    }

    // MARK: - Bound coding

    private mutating func decodeBound(_ reader: inout NegentropyReader) throws(NegentropyError) -> NegentropyBound {
        let timestamp = try decodeTimestampIn(&reader)
        let length = try reader.readVarint()
        let id = try reader.readIDPrefix(length: length)
        return NegentropyBound(timestamp: timestamp, id: id, idLength: Int(length))
    }

    /// Encoded 0 is infinity; otherwise `1 + delta` from the previous bound. Overflow
    /// saturates to infinity, so everything after an infinity bound is infinity too.
    private mutating func decodeTimestampIn(_ reader: inout NegentropyReader) throws(NegentropyError) -> UInt64 {
        let encoded = try reader.readVarint()
        var timestamp = encoded == 0 ? UInt64.max : encoded - 1
        timestamp = timestamp &+ lastTimestampIn
        if timestamp < lastTimestampIn { timestamp = .max }
        lastTimestampIn = timestamp
        return timestamp
    }

    private mutating func encodeBound(_ bound: NegentropyBound, into out: inout [UInt8]) {
        if bound.timestamp == .max {
            lastTimestampOut = .max
            out.append(0)
        } else {
            let delta = bound.timestamp &- lastTimestampOut
            lastTimestampOut = bound.timestamp
            NegentropyVarint.append(delta &+ 1, to: &out)
        }
        NegentropyVarint.append(UInt64(bound.idLength), to: &out)
        bound.id.appendPrefix(bound.idLength, to: &out)
    }
}
