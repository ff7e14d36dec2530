import NIOCore

/// The first handler of every served connection (after TLS), on raw bytes. It enforces what
/// the HTTP and WebSocket libraries leave open:
///
/// - the first request head (request line and headers) must be complete within
///   `headerReadTimeout` seconds, else `408 Request Timeout` and close (slow-header clients);
/// - it may be at most `maxHeaderBytes` long, else `431 Request Header Fields Too Large` and
///   close, without buffering the rest;
/// - once the server has answered `101 Switching Protocols`, every client frame must be
///   masked (RFC 6455 §5.1): an unmasked one gets a close frame 1002 and the connection is
///   dropped. (The frame decoder of NIOWebSocket does not check this.)
///
/// Other HTTP requests on a kept-alive connection are bounded by the HTTP idle timeout.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    enum State {
        /// Reading the first request head: bytes seen and the last up-to-3 bytes (to find
        /// CRLFCRLF across reads).
        case readingHead(count: Int, tail: [UInt8])
        /// Head complete; passing bytes until the server's answer shows whether it upgraded.
        case awaitingResponse
        /// Upgraded to WebSocket: checking client frame headers.
        case webSocket(FrameScanner)
        /// Not upgraded (plain HTTP) or closed: passing everything.
        case passThrough
        /// Refused: our answer is sent and our side half-closed; what the client still sends
        /// is read and dropped (so the answer is not lost to a TCP reset) until the client
        /// closes or `drainTime` passes.
        case draining
    }

    let headerReadTimeout: TimeAmount
    let maxHeaderBytes: Int
    /// Longest a refused connection is drained before it is closed outright.
    static let drainTime: TimeAmount = .seconds(2)
    private var state: State = .readingHead(count: 0, tail: [])
    private var timer: Scheduled<Void>?
    /// Bytes of a WebSocket session read before the server's 101 reached us (pipelined).
    private var pending: [ByteBuffer] = []
    private var pendingBytes = 0

    init(headerReadTimeout: TimeAmount, maxHeaderBytes: Int) {
        self.headerReadTimeout = headerReadTimeout
        self.maxHeaderBytes = maxHeaderBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil, case .readingHead = state { startTimer(context: context) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func startTimer(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: headerReadTimeout) {
            let (handler, context) = loopBound.value
            guard case .readingHead = handler.state else { return }
            handler.refuse(context: context, status: "408 Request Timeout")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch state {
        case .readingHead(let count, let tail):
            let bytes = buffer.readableBytesView
            var window = tail
            var index = 0
            var headEnd: Int?
            for byte in bytes {
                index += 1
                window.append(byte)
                if window.count > 4 { window.removeFirst() }
                if window == [13, 10, 13, 10] { headEnd = index; break }
                if count + index > maxHeaderBytes { break }
            }
            if let headEnd {
                timer?.cancel()
                timer = nil
                state = .awaitingResponse
                if buffer.readableBytes > headEnd,
                   let rest = buffer.getSlice(at: buffer.readerIndex + headEnd, length: buffer.readableBytes - headEnd) {
                    pending.append(rest)
                }
                context.fireChannelRead(data)
            } else if count + index > maxHeaderBytes {
                refuse(context: context, status: "431 Request Header Fields Too Large")
            } else {
                state = .readingHead(count: count + index, tail: Array(window.suffix(3)))
                context.fireChannelRead(data)
            }
        case .awaitingResponse:
            // The client may send frames right after its upgrade request, before our 101
            // (kept to check them then; a plain request's body is not kept past 64 KiB).
            pendingBytes += buffer.readableBytes
            if pendingBytes <= 64 * 1024 {
                pending.append(buffer)
            } else {
                pending = []
                state = .passThrough
            }
            context.fireChannelRead(data)
        case .webSocket(var scanner):
            state = .passThrough
            if scanner.scan(buffer) {
                state = .webSocket(scanner)
                context.fireChannelRead(data)
            } else {
                failUnmasked(context: context)
            }
        case .passThrough:
            context.fireChannelRead(data)
        case .draining:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .awaitingResponse = state {
            if case .byteBuffer(let buffer) = unwrapOutboundIn(data),
               buffer.readableBytesView.starts(with: Array("HTTP/1.1 101".utf8)) {
                var scanner = FrameScanner()
                var ok = true
                for chunk in pending where ok { ok = scanner.scan(chunk) }
                pending = []
                if ok {
                    state = .webSocket(scanner)
                } else {
                    context.write(data, promise: promise)
                    failUnmasked(context: context)
                    return
                }
            } else {
                pending = []
                state = .passThrough
            }
        }
        context.write(data, promise: promise)
    }

    private func refuse(context: ChannelHandlerContext, status: String) {
        state = .draining
        timer?.cancel()
        timer = nil
        let response = "HTTP/1.1 \(status)\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer(string: response)))).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
            channel.eventLoop.scheduleTask(in: Self.drainTime) { channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .draining = state, event is ChannelEvent, case .inputClosed = event as! ChannelEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func failUnmasked(context: ChannelHandlerContext) {
        state = .passThrough
        // Close frame, code 1002 (protocol error); server frames are not masked.
        let close = ByteBuffer(bytes: [0x88, 0x02, 0x03, 0xEA])
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(close))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// Follows WebSocket frame boundaries in a client byte stream and checks the MASK bit of
/// every frame header, without buffering payloads.
struct FrameScanner {
    /// Header bytes of the frame being read (at most 14).
    private var header: [UInt8] = []
    /// Payload bytes still to skip.
    private var remaining: UInt64 = 0
    /// Scans frame bytes; false when a frame is not masked.
    mutating func scan(_ buffer: ByteBuffer) -> Bool {
        scanBytes(buffer.readableBytesView[...])
    }

    private mutating func scanBytes(_ bytes: ByteBufferView.SubSequence) -> Bool {
        var view = bytes
        while !view.isEmpty {
            if remaining > 0 {
                let skip = Int(min(remaining, UInt64(view.count)))
                view = view.dropFirst(skip)
                remaining -= UInt64(skip)
                continue
            }
            header.append(view.first!)
            view = view.dropFirst()
            guard header.count >= 2 else { continue }
            guard header[1] & 0x80 != 0 else { return false }
            let length7 = header[1] & 0x7F
            let extended = length7 == 126 ? 2 : (length7 == 127 ? 8 : 0)
            guard header.count == 2 + extended + 4 else { continue }
            var length = UInt64(length7)
            if extended > 0 {
                length = header[2..<(2 + extended)].reduce(0) { ($0 << 8) | UInt64($1) }
            }
            remaining = length
            header = []
        }
        return true
    }
}
