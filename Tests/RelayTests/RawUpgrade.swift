import Foundation
import NIOCore
import NIOPosix

/// A hand-written WebSocket upgrade request over a plain TCP socket, so a test can set any
/// header (a proxy's `X-Forwarded-For`) and read the HTTP answer (503 and `Retry-After`).
/// An accepted upgrade keeps its socket open until `close()` (it holds a connection slot).
final class RawUpgrade: @unchecked Sendable {
    let status: Int
    /// Header names lowercased.
    let headers: [String: String]
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private init(status: Int, headers: [String: String], channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.status = status
        self.headers = headers
        self.channel = channel
    }

    static func open(port: Int, headers extra: [String: String] = [:]) async throws -> RawUpgrade {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        var request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in extra { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.outbound.write(ByteBuffer(string: request))
        var text = ""
        var iterator = channel.inbound.makeAsyncIterator()
        while !text.contains("\r\n\r\n"), let chunk = try await iterator.next() {
            text += String(buffer: chunk)
        }
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        let lines = head.components(separatedBy: "\r\n")
        let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RawUpgrade(status: status, headers: fields, channel: channel)
    }

    func close() async {
        try? await channel.channel.close()
    }
}
