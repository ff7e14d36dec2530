import COpenSSLCrypto
import Foundation
import NIOCore
import NIOPosix
import Nostr

/// A raw TCP server on 127.0.0.1 that speaks WebSocket by hand, driven by a script per
/// connection: the fault-injecting relay for tests over real sockets.
///
/// Because it writes bytes itself, a script can do what no well-behaved server library
/// would: never answer the upgrade, answer it with a 404 or with garbage, send invalid
/// frames, send oversized messages, drop the TCP connection without a close frame, ignore
/// pings, or just send relay messages (EVENT, EOSE, NOTICE, CLOSED, OK `rate-limited:` ...).
/// It never negotiates extensions, so client frames arrive uncompressed.
public final class ScriptedWebSocketServer: Sendable {
    /// Runs for each accepted connection, with its 0-based number. Returning (or throwing)
    /// closes the TCP connection without a WebSocket close frame.
    public typealias Script = @Sendable (_ peer: ScriptedPeer, _ connection: Int) async throws -> Void

    public let port: Int
    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let acceptLoop: Task<Void, Never>
    private let counter: ConnectionCounter

    /// `ws://127.0.0.1:PORT`.
    public var url: RelayURL { RelayURL("ws://127.0.0.1:\(port)")! }

    /// Connections accepted so far.
    public var connectionCount: Int { counter.value }

    private init(port: Int, serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>,
                 acceptLoop: Task<Void, Never>, counter: ConnectionCounter) {
        self.port = port
        self.serverChannel = serverChannel
        self.acceptLoop = acceptLoop
        self.counter = counter
    }

    /// Starts listening on a free port of 127.0.0.1.
    public static func start(_ script: @escaping Script) async throws -> ScriptedWebSocketServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        guard let port = channel.channel.localAddress?.port else { throw ScriptedServerError.noPort }
        let counter = ConnectionCounter()
        let loop = Task<Void, Never> {
            _ = try? await channel.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            let index = counter.next()
                            group.addTask {
                                try? await connection.executeThenClose { inbound, outbound in
                                    let peer = ScriptedPeer(inbound: inbound, outbound: outbound)
                                    try await script(peer, index)
                                }
                            }
                        }
                    } catch {}
                    group.cancelAll()
                }
            }
        }
        return ScriptedWebSocketServer(port: port, serverChannel: channel, acceptLoop: loop, counter: counter)
    }

    /// Starts a server, runs `body`, and stops the server (also when `body` throws).
    public static func with<T: Sendable>(
        _ script: @escaping Script, _ body: @Sendable (ScriptedWebSocketServer) async throws -> T
    ) async throws -> T {
        let server = try await start(script)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Stops listening and ends every connection (scripts are cancelled).
    public func stop() async {
        serverChannel.channel.close(promise: nil)
        acceptLoop.cancel()
        await acceptLoop.value
    }
}

public enum ScriptedServerError: Error, Sendable {
    case noPort
    case connectionClosed
    case badRequest(String)
}

final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func next() -> Int {
        lock.withLock {
            defer { count += 1 }
            return count
        }
    }
}

/// One scripted connection: raw bytes in and out, plus WebSocket helpers. Used by one task.
public final class ScriptedPeer: @unchecked Sendable {
    /// A WebSocket frame read from the client (unmasked).
    public struct Frame: Sendable {
        public let fin: Bool
        public let opcode: UInt8
        public let payload: [UInt8]
        public var text: String { String(decoding: payload, as: UTF8.self) }
    }

    /// The client's upgrade request.
    public struct Request: Sendable {
        public let requestLine: String
        /// Header names lowercased.
        public let headers: [String: String]
    }

    public static let opText: UInt8 = 0x1
    public static let opBinary: UInt8 = 0x2
    public static let opClose: UInt8 = 0x8
    public static let opPing: UInt8 = 0x9
    public static let opPong: UInt8 = 0xA

    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending: [UInt8] = []
    private var pendingStart = 0
    /// Whether `readClientMessage` answers pings with pongs.
    public var answerPings = true

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    // MARK: - Handshake

    /// Reads the HTTP request head.
    public func readRequest() async throws -> Request {
        while true {
            if let end = findHeadEnd() {
                let head = String(decoding: pending[pendingStart..<end], as: UTF8.self)
                pendingStart = end + 4
                var lines = head.components(separatedBy: "\r\n")
                let requestLine = lines.removeFirst()
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return Request(requestLine: requestLine, headers: headers)
            }
            guard try await fill() else { throw ScriptedServerError.connectionClosed }
        }
    }

    /// Answers the upgrade with 101 (no extensions).
    public func acceptUpgrade(_ request: Request) async throws {
        guard let key = request.headers["sec-websocket-key"] else { throw ScriptedServerError.badRequest("no Sec-WebSocket-Key") }
        let accept = Self.acceptValue(for: key)
        try await writeRaw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n")
    }

    /// Reads the request and accepts the upgrade.
    @discardableResult
    public func upgrade() async throws -> Request {
        let request = try await readRequest()
        try await acceptUpgrade(request)
        return request
    }

    static func acceptValue(for key: String) -> String {
        let input = Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        input.withUnsafeBufferPointer { p in _ = SHA1(p.baseAddress, p.count, &digest) }
        return Data(digest).base64EncodedString()
    }

    // MARK: - Writing

    public func writeRaw(_ text: String) async throws {
        try await writeRaw(Array(text.utf8))
    }

    public func writeRaw(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Writes one unmasked server frame.
    public func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, reservedBits: UInt8 = 0) async throws {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (reservedBits & 0x70) | (opcode & 0x0F)]
        let n = payload.count
        if n < 126 {
            bytes.append(UInt8(n))
        } else if n < 65536 {
            bytes += [126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            bytes.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((UInt64(n) >> UInt64(shift)) & 0xFF)) }
        }
        try await writeRaw(bytes + payload)
    }

    public func sendText(_ text: String) async throws {
        try await sendFrame(opcode: Self.opText, payload: Array(text.utf8))
    }

    public func send(_ message: RelayMessage) async throws {
        try await sendText(message.jsonText)
    }

    /// Sends a close frame with `code` and `reason` (the TCP connection stays until the
    /// script returns).
    public func sendClose(code: UInt16, reason: String = "") async throws {
        try await sendFrame(opcode: Self.opClose, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    // MARK: - Reading

    /// The next frame from the client, or nil at end of stream.
    public func readFrame() async throws -> Frame? {
        guard let header = try await readBytes(2) else { return nil }
        let fin = header[0] & 0x80 != 0
        let opcode = header[0] & 0x0F
        let masked = header[1] & 0x80 != 0
        var length = Int(header[1] & 0x7F)
        if length == 126 {
            guard let ext = try await readBytes(2) else { return nil }
            length = Int(ext[0]) << 8 | Int(ext[1])
        } else if length == 127 {
            guard let ext = try await readBytes(8) else { return nil }
            length = ext.reduce(0) { $0 << 8 | Int($1) }
        }
        var mask: [UInt8] = []
        if masked {
            guard let m = try await readBytes(4) else { return nil }
            mask = m
        }
        guard var payload = try await readBytes(length) else { return nil }
        if masked { for i in payload.indices { payload[i] ^= mask[i % 4] } }
        return Frame(fin: fin, opcode: opcode, payload: payload)
    }

    /// The next client message; answers pings (when `answerPings`), skips other control
    /// frames and texts that are not client messages; nil at a close frame or end of stream.
    public func readClientMessage() async throws -> ClientMessage? {
        while let text = try await readClientText() {
            if let message = try? ClientMessage.decode(text) { return message }
        }
        return nil
    }

    /// The next text message from the client (pings answered, other control frames
    /// skipped); nil at a close frame or end of stream.
    public func readClientText() async throws -> String? {
        while let frame = try await readFrame() {
            switch frame.opcode {
            case Self.opText: return frame.text
            case Self.opPing:
                if answerPings { try await sendFrame(opcode: Self.opPong, payload: frame.payload) }
            case Self.opClose: return nil
            default: continue
            }
        }
        return nil
    }

    /// Reads and discards everything until the client closes the connection (or sends a
    /// close frame, which is then answered). Pings are not answered.
    public func waitForClientClose() async {
        while let frame = try? await readFrame() {
            if frame.opcode == Self.opClose {
                try? await sendFrame(opcode: Self.opClose, payload: Array(frame.payload.prefix(2)))
                return
            }
        }
    }

    /// Reads nothing and answers nothing until the client drops the TCP connection (or the
    /// script is cancelled): a relay that never answers.
    public func neverAnswer() async {
        while (try? await fill()) == true {}
    }

    /// Whatever bytes arrive next (or are already buffered); nil at end of stream. For
    /// peers that do not speak HTTP first (a TLS ClientHello).
    public func readAnyBytes() async throws -> [UInt8]? {
        if pendingStart == pending.count {
            guard try await fill() else { return nil }
        }
        defer {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        }
        return Array(pending[pendingStart...])
    }

    private func findHeadEnd() -> Int? {
        guard pending.count - pendingStart >= 4 else { return nil }
        var i = pendingStart
        while i + 3 < pending.count {
            if pending[i] == 13 && pending[i + 1] == 10 && pending[i + 2] == 13 && pending[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func readBytes(_ n: Int) async throws -> [UInt8]? {
        while pending.count - pendingStart < n {
            guard try await fill() else { return nil }
        }
        let out = Array(pending[pendingStart..<pendingStart + n])
        pendingStart += n
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        }
        return out
    }

    /// Reads more bytes; false at end of stream.
    private func fill() async throws -> Bool {
        guard var buffer = try await iterator.next() else { return false }
        if pendingStart > 0 {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        return true
    }
}
