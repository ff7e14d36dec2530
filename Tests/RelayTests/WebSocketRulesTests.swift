import Foundation
import Nostr
import Relay
import Testing

/// Issue 12, item 7: RFC 6455 rules the served endpoint enforces, with the exact close codes
/// (raw frames over TCP; each wait is a hang guard on the server's close frame).
@Suite("Served WebSocket: protocol rules and close codes", .timeLimit(.minutes(2)))
struct WebSocketRulesTests {
    /// Small limits so the oversize cases stay small: answered up to 32 KiB, closed past 64 KiB.
    static let limits = RelayLimits(maxMessageLength: 32 * 1024, hardMessageLength: 64 * 1024)

    @Test("invalid UTF-8 in a text frame closes with 1007")
    func invalidUTF8Closes1007() async throws {
        try await RelayTestHarness.withRelay(limits: Self.limits) { relay in
            let (socket, head) = try await RawWebSocket.upgraded(port: relay.port)
            #expect(head.hasPrefix("HTTP/1.1 101"))
            try await socket.send(RawWebSocket.frame(opcode: 0x1, Array(#"["REQ","x",{"#.utf8) + [0xC3, 0x28, 0xFF] + Array("}]".utf8)))
            #expect(try await socket.closeCode() == 1007)
            await socket.close()
        }
    }

    @Test("an unmasked client frame closes with 1002")
    func unmaskedFrameCloses1002() async throws {
        try await RelayTestHarness.withRelay(limits: Self.limits) { relay in
            let (socket, head) = try await RawWebSocket.upgraded(port: relay.port)
            #expect(head.hasPrefix("HTTP/1.1 101"))
            // A masked, valid message first: framing is followed across frames.
            try await socket.send(RawWebSocket.frame(opcode: 0x1, Array(#"["COUNT","c",{"kinds":[1]}]"#.utf8)))
            try await socket.send(RawWebSocket.frame(opcode: 0x1, masked: false, Array(#"["REQ","x",{}]"#.utf8)))
            #expect(try await socket.closeCode() == 1002)
            await socket.close()
        }
    }

    @Test("a fragmented message growing past the hard limit closes with 1009")
    func fragmentedOversizeCloses1009() async throws {
        try await RelayTestHarness.withRelay(limits: Self.limits) { relay in
            let (socket, _) = try await RawWebSocket.upgraded(port: relay.port)
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 40 * 1024)
            try await socket.send(RawWebSocket.frame(opcode: 0x1, fin: false, chunk))
            try await socket.send(RawWebSocket.frame(opcode: 0x0, fin: false, chunk))
            try? await socket.send(RawWebSocket.frame(opcode: 0x0, fin: true, chunk))
            #expect(try await socket.closeCode() == 1009)
            await socket.close()
        }
    }

    @Test("a permessage-deflate bomb (1 KiB inflating to 1 MiB) closes with 1009")
    func deflateBombCloses1009() async throws {
        try await RelayTestHarness.withRelay(limits: Self.limits) { relay in
            let (socket, head) = try await RawWebSocket.upgraded(port: relay.port, deflate: true)
            #expect(head.lowercased().contains("permessage-deflate"))
            try await socket.send(RawWebSocket.frame(opcode: 0x1, rsv1: true, RawWebSocket.deflateBomb))
            #expect(try await socket.closeCode() == 1009)
            await socket.close()
        }
    }

    @Test("a compressed message within the limit is still served")
    func compressedMessageWithinLimitIsServed() async throws {
        try await RelayTestHarness.withRelay(limits: Self.limits) { relay in
            let session = try await relay.connect(compression: true)
            try await session.send(.count(subscriptionID: "c", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .count(subscriptionID: "c", count: 0))
            await session.close()
        }
    }
}

/// Issue 12, item 8: request heads are bounded in time and size.
@Suite("Served HTTP: request head timeout and size limit", .timeLimit(.minutes(2)))
struct RequestHeadBoundsTests {
    @Test("a request head not complete within the header timeout gets 408 and the connection is closed")
    func slowHeadTimesOut() async throws {
        // A 2 s header timeout; the client sends part of a head and then nothing. (0.5 s
        // once expired before a loaded machine sent the first bytes; the answer is read
        // whether or not the send got in first.)
        let timeouts = RelayServerTimeouts(headerReadTimeout: 2)
        try await RelayTestHarness.withRelay(timeouts: timeouts) { relay in
            let socket = try await RawWebSocket.connect(port: relay.port)
            try? await socket.send(Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n".utf8))
            let answer = try await socket.readToEnd()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "got: \(answer.prefix(200))")
        }
    }

    @Test("a request head larger than the limit gets 431 and the connection is closed")
    func hugeHeadIsRefused() async throws {
        let timeouts = RelayServerTimeouts(maxHeaderBytes: 16 * 1024)
        try await RelayTestHarness.withRelay(timeouts: timeouts) { relay in
            let socket = try await RawWebSocket.connect(port: relay.port)
            try await socket.send(Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ".utf8))
            // 1 MiB of one header line, never ended; the server stops reading at the limit.
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
            for _ in 0..<16 {
                do { try await socket.send(chunk) } catch { break }
            }
            let answer = try await socket.readToEnd()
            #expect(answer.hasPrefix("HTTP/1.1 431"), "got: \(answer.prefix(200))")
        }
    }

    @Test("ordinary requests and WebSocket upgrades are unaffected")
    func ordinaryRequestsPass() async throws {
        let timeouts = RelayServerTimeouts(headerReadTimeout: 5, maxHeaderBytes: 16 * 1024)
        try await RelayTestHarness.withRelay(timeouts: timeouts) { relay in
            let info = try await relay.information()
            #expect(info["supported_nips"] != nil)
            let session = try await relay.connect()
            try await session.send(.count(subscriptionID: "c", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .count(subscriptionID: "c", count: 0))
            await session.close()
        }
    }
}
