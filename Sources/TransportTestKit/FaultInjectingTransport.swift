import Foundation
import Nostr
import Transport

/// Wraps another transport (usually an `InMemoryRelayTransport`) and injects faults into
/// the connections to chosen URLs: failed or hanging connects, dropped connections, delays,
/// garbage frames, rate-limit answers (NOTICE, CLOSED, OK `rate-limited:`), or a relay that
/// never answers.
///
/// Faults are configured per URL and per connection attempt, so a test can make the first
/// connection fail and the reconnect succeed. URLs without faults pass straight through.
public final class FaultInjectingTransport: RelayTransport, @unchecked Sendable {
    /// One kind of misbehaviour. Several can be combined on one connection.
    public enum Fault: Sendable, Equatable {
        /// The connect attempt fails with this error (DNS, refused, TLS, handshake, ...).
        case failConnect(TransportError)
        /// The connect attempt never completes: it throws `.timeout` after the transport's
        /// `connectTimeout` (or `.other("connect cancelled")` when cancelled first).
        case hangConnect
        /// After this many inbound messages the connection drops without a close frame: the
        /// stream ends and `closeReason()` is `.closedByPeer(code: nil, reason: "dropped")`.
        case dropAfter(messages: Int)
        /// After this many inbound messages the relay closes cleanly with a close frame:
        /// `closeReason()` is `.closedByPeer(code: code, reason: reason)`.
        case closeAfter(messages: Int, code: Int, reason: String)
        /// Every inbound message arrives this late (order is kept).
        case delay(Duration)
        /// After every n-th inbound message, a frame that is not a relay message (not JSON,
        /// unknown verb, malformed EVENT, in turn); skipped and counted like the WebSocket
        /// session does.
        case garbage(everyNth: Int)
        /// This NOTICE arrives right after connecting, before anything else.
        case notice(String)
        /// Every REQ is answered with `CLOSED <id> <message>` and every NEG-OPEN with
        /// `NEG-ERR <id> <message>` instead of reaching the relay.
        case closeSubscriptions(message: String)
        /// Every EVENT is answered with `OK <id> false <message>` instead of reaching the relay.
        case rejectEvents(message: String)
        /// The relay accepts the connection and never answers anything (sends are swallowed).
        case silent

        /// A relay rate-limiting everything: NOTICE on connect, CLOSED for REQs and OK false
        /// for EVENTs, all with the `rate-limited:` prefix.
        public static func rateLimited(_ text: String = "rate-limited: slow down") -> [Fault] {
            [.notice(text), .closeSubscriptions(message: text), .rejectEvents(message: text)]
        }
    }

    /// Garbage texts injected by `.garbage`, in turn.
    public static let garbageTexts = [
        "this is not json",
        #"["NOT-A-VERB","x"]"#,
        #"["EVENT","sub",{"id":"nothex"}]"#,
        #"{"EVENT":"an object, not an array"}"#,
    ]

    public let inner: any RelayTransport
    /// How long `.hangConnect` waits before throwing `.timeout`, in seconds.
    public let connectTimeout: Double
    private let lock = NSLock()
    private var schedules: [RelayURL: @Sendable (Int) -> [Fault]] = [:]
    private var attempts: [RelayURL: Int] = [:]

    public init(inner: any RelayTransport, connectTimeout: Double = 10) {
        self.inner = inner
        self.connectTimeout = connectTimeout
    }

    /// Applies `faults` to every connection to `url`.
    public func setFaults(_ faults: [Fault], for url: RelayURL) {
        lock.withLock { schedules[url] = { _ in faults } }
    }

    /// Applies `perAttempt[i]` to the i-th connection attempt to `url` (counting from 0);
    /// later attempts get no faults.
    public func setFaults(perAttempt: [[Fault]], for url: RelayURL) {
        lock.withLock { schedules[url] = { i in i < perAttempt.count ? perAttempt[i] : [] } }
    }

    /// Chooses the faults of each attempt (0-based attempt number) with a closure.
    public func setSchedule(for url: RelayURL, _ schedule: @escaping @Sendable (_ attempt: Int) -> [Fault]) {
        lock.withLock { schedules[url] = schedule }
    }

    /// Removes every fault for `url`.
    public func clearFaults(for url: RelayURL) {
        lock.withLock { schedules[url] = nil }
    }

    /// Connection attempts to `url` so far.
    public func connectionAttempts(to url: RelayURL) -> Int {
        lock.withLock { attempts[url, default: 0] }
    }

    public func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        let faults: [Fault] = lock.withLock {
            let n = attempts[url, default: 0]
            attempts[url] = n + 1
            return schedules[url]?(n) ?? []
        }
        for fault in faults {
            switch fault {
            case .failConnect(let error):
                throw error
            case .hangConnect:
                do {
                    try await Task.sleep(nanoseconds: UInt64(max(0, connectTimeout) * 1_000_000_000))
                } catch {
                    throw .other("connect cancelled")
                }
                throw .timeout
            default:
                continue
            }
        }
        let session = try await inner.connect(to: url)
        if faults.isEmpty { return session }
        return FaultySession(inner: session, faults: faults)
    }
}

/// A session that applies faults to an inner session's traffic.
public final class FaultySession: RelaySession, @unchecked Sendable {
    public let url: RelayURL
    public let messages: RelayMessageStream
    private let inbound: RelayMessageStream.Continuation
    private let inner: any RelaySession
    private let lock = NSLock()
    private var ended = false
    private var closedByUs = false
    private var reason: TransportError?
    private var undecodable = 0
    private var pump: Task<Void, Never>?

    private let silent: Bool
    private let subscriptionRefusal: String?
    private let eventRefusal: String?

    init(inner: any RelaySession, faults: [FaultInjectingTransport.Fault]) {
        self.inner = inner
        url = inner.url
        (messages, inbound) = RelayMessageStream.makeStream()
        var silent = false
        var subscriptionRefusal: String?
        var eventRefusal: String?
        var notices: [String] = []
        var end: (after: Int, reason: TransportError)?
        var delay: Duration?
        var garbageEvery: Int?
        for fault in faults {
            switch fault {
            case .silent: silent = true
            case .closeSubscriptions(let m): subscriptionRefusal = m
            case .rejectEvents(let m): eventRefusal = m
            case .notice(let m): notices.append(m)
            case .dropAfter(let n): end = (n, .closedByPeer(code: nil, reason: "dropped"))
            case .closeAfter(let n, let code, let why): end = (n, .closedByPeer(code: code, reason: why))
            case .delay(let d): delay = d
            case .garbage(let n): garbageEvery = max(1, n)
            case .failConnect, .hangConnect: break
            }
        }
        self.silent = silent
        self.subscriptionRefusal = subscriptionRefusal
        self.eventRefusal = eventRefusal
        let source = inner.messages
        pump = Task { [inbound] in
            if silent {
                // Never answers: nothing is delivered until the connection closes.
                for await _ in source {}
                self.finish(await inner.closeReason())
                return
            }
            for notice in notices { await inbound.send(.notice(notice)) }
            var delivered = 0
            var garbageIndex = 0
            if let end, end.after <= 0 {
                self.drop(end.reason)
                return
            }
            for await message in source {
                if let delay { try? await Task.sleep(for: delay) }
                if Task.isCancelled { break }
                await inbound.send(message)
                delivered += 1
                if let garbageEvery, delivered % garbageEvery == 0 {
                    // Run a garbage text through the decoder as a socket reader would.
                    let text = FaultInjectingTransport.garbageTexts[garbageIndex % FaultInjectingTransport.garbageTexts.count]
                    garbageIndex += 1
                    if (try? RelayMessage.decode(text)) == nil {
                        self.lock.withLock { self.undecodable += 1 }
                    }
                }
                if let end, delivered >= end.after {
                    self.drop(end.reason)
                    return
                }
            }
            self.finish(await inner.closeReason())
        }
    }

    /// Frames skipped as not being relay messages (injected garbage).
    public var undecodableMessages: Int { lock.withLock { undecodable } }

    private func drop(_ why: TransportError) {
        finish(why)
        let inner = self.inner
        Task { await inner.close() }
    }

    public func send(_ message: ClientMessage) async throws(TransportError) {
        guard lock.withLock({ !ended }) else { throw .notConnected }
        if silent { return }
        switch message {
        case .req(let id, _):
            if let subscriptionRefusal {
                await inbound.send(.closed(subscriptionID: id, message: subscriptionRefusal))
                return
            }
        case .negOpen(let id, _, _):
            if let subscriptionRefusal {
                await inbound.send(.negErr(subscriptionID: id, reason: subscriptionRefusal, maxRecords: nil))
                return
            }
        case .event(let event):
            if let eventRefusal {
                await inbound.send(.ok(eventID: event.id, accepted: false, message: eventRefusal))
                return
            }
        default:
            break
        }
        try await inner.send(message)
    }

    public func close() async {
        lock.withLock {
            closedByUs = true
            if !ended { reason = nil }
        }
        inbound.finish()
        pump?.cancel()
        await inner.close()
        finish(nil)
    }

    public func closeReason() async -> TransportError? { lock.withLock { reason } }

    private func finish(_ why: TransportError?) {
        let first: Bool = lock.withLock {
            if ended { return false }
            ended = true
            reason = closedByUs ? nil : why
            return true
        }
        if first { inbound.finish() }
    }
}
