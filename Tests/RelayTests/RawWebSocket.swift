import Foundation
import NIOCore
import NIOPosix

/// A WebSocket (or plain HTTP) client speaking raw bytes over TCP, for clients that break
/// the rules on purpose: unmasked frames, invalid UTF-8, fragments past the limit,
/// compression bombs, slow or huge request heads. It reads the server's frames and
/// reports the close code.
final class RawWebSocket: @unchecked Sendable {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var buffered = ByteBuffer()

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
        iterator = channel.inbound.makeAsyncIterator()
    }

    // NIO requires the async writer to be finished before it is released.
    deinit { channel.outbound.finish() }

    static func connect(port: Int) async throws -> RawWebSocket {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return RawWebSocket(channel: channel)
    }

    /// Connects and upgrades; `deflate` offers permessage-deflate. Returns the answer head.
    static func upgraded(port: Int, deflate: Bool = false) async throws -> (RawWebSocket, String) {
        let socket = try await connect(port: port)
        var request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if deflate { request += "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n" }
        request += "\r\n"
        try await socket.send(Array(request.utf8))
        let head = try await socket.readHead()
        return (socket, head)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Reads until the end of an HTTP head (or EOF); returns the head text.
    func readHead() async throws -> String {
        while true {
            if let range = buffered.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) {
                let length = range.upperBound - buffered.readableBytesView.startIndex
                return buffered.readString(length: length) ?? ""
            }
            guard var chunk = try await iterator.next() else { return buffered.readString(length: buffered.readableBytes) ?? "" }
            buffered.writeBuffer(&chunk)
        }
    }

    /// Hang guard: closes our side after `seconds` so a read waiting on a server that never
    /// answers ends (and the test's expectation fails) instead of hanging.
    private func guardRead(_ seconds: Double) -> Task<Void, Never> {
        // Holds the plain NIO channel only, so the async wrapper (and its writer) is released
        // with this socket, after `deinit` finished it.
        Task { [nioChannel = channel.channel] in
            try? await Task.sleep(for: .seconds(seconds))
            if !Task.isCancelled { try? await nioChannel.close() }
        }
    }

    /// Reads everything until the server closes the connection (a reset ends it too).
    func readToEnd(deadline: Double = 20) async throws -> String {
        let guardTask = guardRead(deadline)
        defer { guardTask.cancel() }
        do {
            while var chunk = try await iterator.next() { buffered.writeBuffer(&chunk) }
        } catch {}
        return buffered.readString(length: buffered.readableBytes) ?? ""
    }

    /// Reads server frames until a close frame; its status code (nil: the connection ended
    /// without one).
    func closeCode(deadline: Double = 20) async throws -> Int? {
        let guardTask = guardRead(deadline)
        defer { guardTask.cancel() }
        while true {
            if let frame = takeFrame() {
                if frame.opcode == 0x8 { return frame.payload.count >= 2 ? Int(frame.payload[0]) << 8 | Int(frame.payload[1]) : 1005 }
                continue
            }
            guard var chunk = try? await iterator.next() else { return nil }
            buffered.writeBuffer(&chunk)
        }
    }

    private func takeFrame() -> (opcode: UInt8, payload: [UInt8])? {
        let view = Array(buffered.readableBytesView)
        guard view.count >= 2 else { return nil }
        var length = Int(view[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard view.count >= 4 else { return nil }
            length = Int(view[2]) << 8 | Int(view[3]); offset = 4
        } else if length == 127 {
            guard view.count >= 10 else { return nil }
            length = view[2..<10].reduce(0) { $0 << 8 | Int($1) }; offset = 10
        }
        guard view.count >= offset + length else { return nil }
        buffered.moveReaderIndex(forwardBy: offset + length)
        return (view[0] & 0x0F, Array(view[offset..<(offset + length)]))
    }

    func close() async { try? await channel.channel.close() }

    /// A client frame: masked unless `masked` is false.
    static func frame(opcode: UInt8, fin: Bool = true, rsv1: Bool = false, masked: Bool = true, _ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            frame.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return frame + payload }
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        return frame + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// 1 MiB of "a" as a raw deflate stream (sync-flushed, trailing 00 00 FF FF removed, as
    /// permessage-deflate sends it): 1,034 bytes that inflate 1,000-fold.
    static let deflateBomb: [UInt8] = Array(Data(base64Encoded:
        "7MExAQAAAMKgrOtfwhC+QAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAfAY="
    )!)
}
