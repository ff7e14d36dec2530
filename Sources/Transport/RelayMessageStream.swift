import Foundation
import Nostr

/// The inbound side of a `RelaySession`: relay messages in arrival order, through a bounded
/// buffer with back-pressure.
///
/// The producer (a connection's reader) appends each message and then waits while the
/// buffer is full, so it stops reading from the socket until the consumer catches up: a slow
/// consumer slows reading, it never loses a message. The sequence ends after the producer
/// finishes and every buffered message has been consumed.
///
/// Iterators share one buffer, so each message is delivered once even when the sequence is
/// iterated several times (for example once per request); a consumer whose task is
/// cancelled while waiting gets `nil` and leaves the buffered messages to the next reader.
public struct RelayMessageStream: AsyncSequence, Sendable {
    public typealias Element = RelayMessage
    public typealias Failure = Never

    let buffer: RelayMessageBuffer

    /// Default bound: 256 messages or 8 MiB of message text, whichever is reached first.
    public static let defaultMaxMessages = 256
    public static let defaultMaxBytes = 8 * 1024 * 1024

    /// Makes a stream and the continuation its producer feeds.
    ///
    /// The buffer is full once it holds `maxMessages` messages or `maxBytes` bytes (as
    /// reported to `send`); a single message larger than `maxBytes` is still accepted.
    public static func makeStream(
        maxMessages: Int = defaultMaxMessages, maxBytes: Int = defaultMaxBytes
    ) -> (stream: RelayMessageStream, continuation: Continuation) {
        let buffer = RelayMessageBuffer(maxMessages: Swift.max(1, maxMessages), maxBytes: Swift.max(1, maxBytes))
        return (RelayMessageStream(buffer: buffer), Continuation(buffer: buffer))
    }

    /// The producer side.
    public struct Continuation: Sendable {
        let buffer: RelayMessageBuffer

        /// Appends `message` (`bytes` is its size, counted against the byte bound), then
        /// waits while the buffer is full. Returns false, without buffering, once the stream
        /// was finished. Cancelling the waiting task ends the wait (the message stays buffered).
        @discardableResult
        public func send(_ message: RelayMessage, bytes: Int = 0) async -> Bool {
            await buffer.send(message, bytes: bytes)
        }

        /// Ends the stream: later sends are refused and waiting producers resume; the
        /// consumer still receives what is buffered, then `nil`.
        public func finish() {
            buffer.finish()
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: RelayMessageBuffer

        public mutating func next() async -> RelayMessage? {
            await buffer.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> RelayMessage? {
            await buffer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: buffer)
    }

    /// Messages buffered and not yet consumed (diagnostics and tests).
    public var bufferedCount: Int { buffer.count }

    /// Whether the producer is waiting for the consumer (the buffer is full).
    public var isProducerWaiting: Bool { buffer.hasWaitingProducer }

    /// Returns once the producer is waiting for the consumer (back-pressure engaged), or
    /// the stream was finished, or the calling task is cancelled. For tests and diagnostics.
    public func waitForBackPressure() async {
        await buffer.waitForBackPressure()
    }
}

/// The shared state behind `RelayMessageStream`: a FIFO queue bounded by message count and
/// bytes, with suspended consumers and producers woken through continuations.
final class RelayMessageBuffer: @unchecked Sendable {
    private let maxMessages: Int
    private let maxBytes: Int
    private let lock = NSLock()
    // Guarded by `lock`.
    private var queue: [(message: RelayMessage, bytes: Int)] = []
    private var head = 0
    private var bytes = 0
    private var finished = false
    private var waiterCounter: UInt64 = 0
    private var consumers: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    private var producers: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    private var pressureWatchers: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []

    init(maxMessages: Int, maxBytes: Int) {
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
    }

    var count: Int { lock.withLock { queue.count - head } }
    var hasWaitingProducer: Bool { lock.withLock { !producers.isEmpty } }

    private var isFullLocked: Bool { queue.count - head >= maxMessages || bytes >= maxBytes }

    func send(_ message: RelayMessage, bytes size: Int) async -> Bool {
        let wake: [CheckedContinuation<Void, Never>]? = lock.withLock {
            guard !finished else { return nil }
            queue.append((message, size))
            bytes += size
            defer { consumers.removeAll() }
            return consumers.map(\.continuation)
        }
        guard let wake else { return false }
        for c in wake { c.resume() }
        // Wait while full: the reader stops pulling from the socket until there is room.
        while !Task.isCancelled {
            let mustWait = lock.withLock { !finished && isFullLocked }
            guard mustWait else { break }
            await wait(asProducer: true)
        }
        return true
    }

    func next() async -> RelayMessage? {
        while true {
            enum Step { case value(RelayMessage, wake: [CheckedContinuation<Void, Never>]), end, wait }
            let step: Step = lock.withLock {
                if head < queue.count {
                    let item = queue[head]
                    head += 1
                    bytes -= item.bytes
                    if head == queue.count {
                        queue.removeAll(keepingCapacity: true)
                        head = 0
                    } else if head >= 1024, head * 2 >= queue.count {
                        queue.removeFirst(head)
                        head = 0
                    }
                    var wake: [CheckedContinuation<Void, Never>] = []
                    if !isFullLocked {
                        wake = producers.map(\.continuation)
                        producers.removeAll()
                    }
                    return .value(item.message, wake: wake)
                }
                return finished ? .end : .wait
            }
            switch step {
            case .value(let message, let wake):
                for c in wake { c.resume() }
                return message
            case .end:
                return nil
            case .wait:
                if Task.isCancelled { return nil }
                await wait(asProducer: false)
            }
        }
    }

    func finish() {
        let wake: [CheckedContinuation<Void, Never>] = lock.withLock {
            finished = true
            defer {
                consumers.removeAll()
                producers.removeAll()
                pressureWatchers.removeAll()
            }
            return consumers.map(\.continuation) + producers.map(\.continuation) + pressureWatchers.map(\.continuation)
        }
        for c in wake { c.resume() }
    }

    func waitForBackPressure() async {
        let id: UInt64 = lock.withLock {
            waiterCounter += 1
            return waiterCounter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if finished || Task.isCancelled || !producers.isEmpty { return true }
                    pressureWatchers.append((id, c))
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, Never>? = lock.withLock {
                guard let i = pressureWatchers.firstIndex(where: { $0.id == id }) else { return nil }
                return pressureWatchers.remove(at: i).continuation
            }
            c?.resume()
        }
    }

    /// Suspends until woken (state changed), finished or cancelled; the caller re-checks.
    private func wait(asProducer: Bool) async {
        let id: UInt64 = lock.withLock {
            waiterCounter += 1
            return waiterCounter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let (resumeNow, watchers): (Bool, [CheckedContinuation<Void, Never>]) = lock.withLock {
                    // `Task.isCancelled` is set before the cancellation handler runs, and both
                    // sides take the lock, so a cancellation is never missed.
                    if finished || Task.isCancelled { return (true, []) }
                    if asProducer {
                        if !isFullLocked { return (true, []) }
                        producers.append((id, c))
                        defer { pressureWatchers.removeAll() }
                        return (false, pressureWatchers.map(\.continuation))
                    } else {
                        if head < queue.count { return (true, []) }
                        consumers.append((id, c))
                    }
                    return (false, [])
                }
                if resumeNow { c.resume() }
                for w in watchers { w.resume() }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, Never>? = lock.withLock {
                if let i = producers.firstIndex(where: { $0.id == id }) { return producers.remove(at: i).continuation }
                if let i = consumers.firstIndex(where: { $0.id == id }) { return consumers.remove(at: i).continuation }
                return nil
            }
            c?.resume()
        }
    }
}
