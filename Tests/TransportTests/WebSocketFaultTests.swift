import Foundation
import Health
import Nostr
import Testing
import Transport
import TransportTestKit

/// The WebSocket transport against the fault-injecting relay (a scripted raw WebSocket
/// server on 127.0.0.1): every fault ends in a typed error or a clean reconnect, never a
/// hang (each wait has a hang guard), and no message that was sent is lost.
@Suite struct WebSocketFaultTests {
    static let events = Fixtures.repoWithIssues(10).issues

    /// Expects `body` to throw a TransportError and returns it.
    static func transportError(_ body: () async throws(TransportError) -> Void) async -> TransportError? {
        do throws(TransportError) {
            try await body()
            Issue.record("expected a TransportError")
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Drop, reconnect

    @Test func dropAfterNMessagesThenCleanReconnectLosesNothing() async throws {
        let events = Self.events
        try await ScriptedWebSocketServer.with({ peer, connection in
            try await peer.upgrade()
            guard case .req(let id, _)? = try await peer.readClientMessage() else { return }
            if connection == 0 {
                for e in events.prefix(5) { try await peer.send(.event(subscriptionID: id, event: e)) }
                return  // TCP drop, no close frame
            }
            for e in events.dropFirst(5) { try await peer.send(.event(subscriptionID: id, event: e)) }
            try await peer.send(.eose(subscriptionID: id))
            await peer.waitForClientClose()
        }) { server in
            let connection = RemoteRelayConnection(url: server.url, transport: try loopbackTransport())
            let first = try await connection.connect()
            try await first.send(.req(subscriptionID: "s", filters: [Filter(kinds: [1621])]))
            let before = try await first.collectUntilEnd()
            #expect(eventIDs(before, "s") == events.prefix(5).map(\.id))
            let reason = await first.closeReason()
            guard case .closedByPeer(nil, _)? = reason else {
                Issue.record("expected closedByPeer without close code, got \(String(describing: reason))")
                return
            }
            #expect(reason?.failureKind == .closedByPeer)
            await #expect(throws: TransportError.notConnected) { try await first.send(.close(subscriptionID: "s")) }

            // Reconnect through the same actor: a new session, the rest arrives.
            let second = try await connection.connect()
            #expect(second !== first)
            try await second.send(.req(subscriptionID: "s", filters: [Filter(kinds: [1621])]))
            let after = try await second.collectUntilEOSE("s")
            #expect(eventIDs(before, "s") + eventIDs(after, "s") == events.map(\.id))
            #expect(await connection.attempts == 2)
            #expect(await connection.successfulConnections == 2)
            await connection.disconnect()
            #expect(await connection.currentSession == nil)
            #expect(await second.closeReason() == nil)
            #expect(server.connectionCount == 2)
        }
    }

    @Test func peerCloseFrameGivesCodeAndReason() async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            try await peer.send(.notice("going away"))
            try await peer.sendClose(code: 1008, reason: "policy says bye")
            await peer.waitForClientClose()
        }) { server in
            let session = try await loopbackTransport().connect(to: server.url)
            #expect(try await session.collectUntilEnd() == [.notice("going away")])
            #expect(await session.closeReason() == .closedByPeer(code: 1008, reason: "policy says bye"))
        }
    }

    // MARK: - Delay

    @Test func delayedMessagesArriveInOrder() async throws {
        let events = Self.events
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            guard case .req(let id, _)? = try await peer.readClientMessage() else { return }
            for e in events {
                try await Task.sleep(for: .milliseconds(20))  // the fault: a slow relay
                try await peer.send(.event(subscriptionID: id, event: e))
            }
            try await Task.sleep(for: .milliseconds(20))
            try await peer.send(.eose(subscriptionID: id))
            await peer.waitForClientClose()
        }) { server in
            let session = try await loopbackTransport().connect(to: server.url)
            try await session.send(.req(subscriptionID: "slow", filters: [Filter(kinds: [1621])]))
            let received = try await session.collectUntilEOSE("slow")
            #expect(eventIDs(received, "slow") == events.map(\.id))
            #expect(received.last == .eose(subscriptionID: "slow"))
            await session.close()
            #expect(await session.closeReason() == nil)
        }
    }

    // MARK: - Garbage

    @Test func garbageFramesAreSkippedAndCountedConnectionSurvives() async throws {
        let events = Self.events
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            guard case .req(let id, _)? = try await peer.readClientMessage() else { return }
            try await peer.send(.event(subscriptionID: id, event: events[0]))
            try await peer.sendText("this is not json")
            try await peer.sendFrame(opcode: ScriptedPeer.opBinary, payload: [0, 1, 2, 3])
            try await peer.sendText(#"["NOT-A-VERB","x"]"#)
            try await peer.sendText(#"["EVENT","\#(id)",{"id":"nothex"}]"#)
            try await peer.sendText(#"["OK"]"#)
            try await peer.sendText("")
            try await peer.send(.event(subscriptionID: id, event: events[1]))
            try await peer.send(.eose(subscriptionID: id))
            // Still a working connection afterwards.
            guard case .req(let id2, _)? = try await peer.readClientMessage() else { return }
            try await peer.send(.eose(subscriptionID: id2))
            await peer.waitForClientClose()
        }) { server in
            let session = try await loopbackTransport().connectWebSocket(to: server.url)
            try await session.send(.req(subscriptionID: "g", filters: [Filter(kinds: [1621])]))
            let received = try await session.collectUntilEOSE("g")
            #expect(received == [.event(subscriptionID: "g", event: events[0]), .event(subscriptionID: "g", event: events[1]), .eose(subscriptionID: "g")])
            #expect(session.undecodableMessages == 6)
            try await session.send(.req(subscriptionID: "again", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .eose(subscriptionID: "again"))
            #expect(await session.closeReason() == nil)
            await session.close()
        }
    }

    @Test(arguments: ["reserved bits", "reserved opcode", "fragmented ping"])
    func invalidFramesAreAProtocolViolation(_ kind: String) async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            try await peer.send(.notice("before"))
            switch kind {
            case "reserved bits": try await peer.sendFrame(opcode: ScriptedPeer.opText, payload: Array("x".utf8), reservedBits: 0x40)
            case "reserved opcode": try await peer.sendFrame(opcode: 0x3, payload: [1, 2])
            default: try await peer.sendFrame(opcode: ScriptedPeer.opPing, payload: [1], fin: false)
            }
            await peer.waitForClientClose()
        }) { server in
            let session = try await loopbackTransport().connect(to: server.url)
            #expect(try await session.collectUntilEnd() == [.notice("before")])
            let reason = await session.closeReason()
            guard case .protocolViolation? = reason else {
                Issue.record("\(kind): expected protocolViolation, got \(String(describing: reason))")
                return
            }
            #expect(reason?.failureKind == .protocolError)
        }
    }

    @Test func oversizedInboundMessageIsMessageTooLarge() async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            try await peer.send(.notice("small"))
            try await peer.send(.notice(String(repeating: "x", count: 4096)))
            await peer.waitForClientClose()
        }) { server in
            let session = try await loopbackTransport(maxInbound: 1024).connect(to: server.url)
            #expect(try await session.collectUntilEnd() == [.notice("small")])
            #expect(await session.closeReason() == .messageTooLarge(limit: 1024))
        }
    }

    // MARK: - NOTICE / CLOSED / OK rate-limited

    @Test func rateLimitAnswersArriveTypedAndTheConnectionStays() async throws {
        let event = Self.events[0]
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            try await peer.send(.notice("rate-limited: slow down"))
            while let message = try await peer.readClientMessage() {
                switch message {
                case .req(let id, _): try await peer.send(.closed(subscriptionID: id, message: "rate-limited: too many REQs"))
                case .event(let e): try await peer.send(.ok(eventID: e.id, accepted: false, message: "rate-limited: you are noting too much"))
                case .negOpen(let id, _, _): try await peer.send(.negErr(subscriptionID: id, reason: "rate-limited: too many negentropy sessions", maxRecords: nil))
                default: break
                }
            }
        }) { server in
            let session = try await loopbackTransport().connect(to: server.url)
            let notice = try await session.next()
            #expect(notice == .notice("rate-limited: slow down"))
            if case .notice(let text) = notice { #expect(RateLimitClassifier.isRateLimit(notice: text)) }

            try await session.send(.req(subscriptionID: "r", filters: [Filter(kinds: [1621])]))
            let closed = try await session.next()
            #expect(closed == .closed(subscriptionID: "r", message: "rate-limited: too many REQs"))
            if case .closed(_, let text) = closed { #expect(RateLimitClassifier.isRateLimit(closedReason: text)) }

            try await session.send(.event(event))
            let ok = try await session.next()
            #expect(ok == .ok(eventID: event.id, accepted: false, message: "rate-limited: you are noting too much"))
            if case .ok(_, let accepted, let text) = ok { #expect(RateLimitClassifier.isRateLimit(okAccepted: accepted, message: text)) }

            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: "61"))
            #expect(try await session.next() == .negErr(subscriptionID: "n", reason: "rate-limited: too many negentropy sessions", maxRecords: nil))

            #expect(await session.closeReason() == nil)
            await session.close()
            #expect(await session.closeReason() == nil)
        }
    }

    // MARK: - Never answering

    @Test func neverAnsweredUpgradeTimesOut() async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            _ = try await peer.readRequest()
            await peer.neverAnswer()
        }) { server in
            let transport = try loopbackTransport(connectTimeout: 0.5)
            let error = try await withDeadline(30, "connect") {
                await Self.transportError { () throws(TransportError) in _ = try await transport.connect(to: server.url) }
            }
            #expect(error == .timeout)
            #expect(error?.failureKind == .timeout)
        }
    }

    @Test func unansweredPingsEndTheSession() async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            await peer.neverAnswer()  // reads nothing: pings go unanswered, REQs too
        }) { server in
            let session = try await loopbackTransport(pingInterval: 0.2).connect(to: server.url)
            // On a loaded machine the keepalive may already have given up: sending is optional.
            try? await session.send(.req(subscriptionID: "x", filters: [Filter(kinds: [1])]))
            #expect(try await session.collectUntilEnd(deadline: 30).isEmpty)
            let reason = await session.closeReason()
            #expect(reason == .timeout)
            #expect(reason?.failureKind == .timeout)
        }
    }

    /// Keepalive vs back-pressure: the consumer stalls (buffer full) for many ping
    /// intervals while the peer answers every ping; the pongs wait behind unread data, and
    /// the connection must not be taken for dead. Then everything arrives, in order.
    @Test func slowConsumerIsNotMistakenForADeadPeer() async throws {
        let events = Fixtures.repoWithIssues(3000, contentBytes: 256).issues
        let pings = PingCounter()
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            // Pings are answered from the upgrade on (a loaded machine may reach the first
            // ping before the REQ); the first REQ gets the events, later ones an EOSE.
            let (firstREQ, firstREQContinuation) = AsyncStream.makeStream(of: String.self)
            let reader = Task {
                var sawREQ = false
                while let frame = try await peer.readFrame() {
                    switch frame.opcode {
                    case ScriptedPeer.opPing:
                        pings.increment()
                        try await peer.sendFrame(opcode: ScriptedPeer.opPong, payload: frame.payload)
                    case ScriptedPeer.opText:
                        guard case .req(let id, _)? = try? ClientMessage.decode(frame.text) else { continue }
                        if sawREQ {
                            try await peer.send(.eose(subscriptionID: id))
                        } else {
                            sawREQ = true
                            firstREQContinuation.yield(id)
                            firstREQContinuation.finish()
                        }
                    case ScriptedPeer.opClose:
                        try await peer.sendFrame(opcode: ScriptedPeer.opClose, payload: Array(frame.payload.prefix(2)))
                        return
                    default: continue
                    }
                }
                firstREQContinuation.finish()
            }
            var requests = firstREQ.makeAsyncIterator()
            guard let id = await requests.next() else { return }
            for e in events { try await peer.send(.event(subscriptionID: id, event: e)) }
            try await peer.send(.eose(subscriptionID: id))
            try await reader.value
        }) { server in
            // Pings every 2 s (dead after 4 s of silence): long enough that a loaded
            // machine's scheduling delays are not silence (0.5 s, and later 1 s, lost the
            // session while the whole suite was running), short enough to stall well past it.
            // make test runs this suite on its own, after the rest.
            let transport = try loopbackTransport(pingInterval: 2, inboundBufferMessages: 4)
            let session = try await transport.connectWebSocket(to: server.url)
            try await session.send(.req(subscriptionID: "all", filters: [Filter(kinds: [1621])]))
            try await withDeadline(30, "back-pressure") { await session.messages.waitForBackPressure() }
            // Stall for at least 4 more pings (twice the dead-peer threshold), counted by
            // the peer: an event, not a sleep.
            let start = pings.value
            try await withDeadline(30, "pings while stalled") { await pings.waitFor(atLeast: start + 4) }
            #expect(session.messages.isProducerWaiting)
            #expect(await session.closeReason() == nil)
            let received = try await session.collectUntilEOSE("all", deadline: 120)
            #expect(eventIDs(received, "all") == events.map(\.id))
            #expect(received.last == .eose(subscriptionID: "all"))
            try await session.send(.req(subscriptionID: "again", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .eose(subscriptionID: "again"))
            #expect(await session.closeReason() == nil)
            await session.close()
            #expect(await session.closeReason() == nil)
        }
    }

    @Test func closeCompletesWhenThePeerIgnoresTheCloseFrame() async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            try await peer.upgrade()
            await peer.neverAnswer()
        }) { server in
            let session = try await loopbackTransport(closeTimeout: 0.3).connect(to: server.url)
            try await session.send(.req(subscriptionID: "x", filters: [Filter(kinds: [1])]))
            try await withDeadline(30, "close") { await session.close() }
            #expect(try await session.collectUntilEnd().isEmpty)
            #expect(await session.closeReason() == nil)
        }
    }

    // MARK: - Connect failures

    /// A refused upgrade (404, 200, not HTTP, wrong accept key) is `handshakeFailed`; a
    /// connection closed before any answer is `closedByPeer` (transient).
    @Test(arguments: ["404", "200", "garbage", "bad accept", "eof"])
    func failedUpgradeIsHandshakeFailed(_ kind: String) async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            let request = try await peer.readRequest()
            switch kind {
            case "404": try await peer.writeRaw("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found")
            case "200": try await peer.writeRaw("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello")
            case "garbage": try await peer.writeRaw("SSH-2.0-OpenSSH_9.2\r\n\u{1}\u{2}\u{3}\r\n\r\n")
            case "bad accept":
                try await peer.writeRaw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n")
            default:
                _ = request
                return  // close the connection without answering
            }
            await peer.neverAnswer()
        }) { server in
            let transport = try loopbackTransport(connectTimeout: 10)
            let error = try await withDeadline(30, "connect") {
                await Self.transportError { () throws(TransportError) in _ = try await transport.connect(to: server.url) }
            }
            switch error {
            case .handshakeFailed? where kind != "eof": #expect(error?.failureKind == .protocolError)
            case .closedByPeer(nil, _)? where kind == "eof": #expect(error?.failureKind == .closedByPeer)
            default: Issue.record("\(kind): unexpected \(String(describing: error))")
            }
        }
    }

    @Test func closedPortIsConnectionRefused() async throws {
        let server = try await ScriptedWebSocketServer.start { _, _ in }
        let url = server.url
        await server.stop()
        let transport = try loopbackTransport()
        let error = try await withDeadline(30, "connect") {
            await Self.transportError { () throws(TransportError) in _ = try await transport.connect(to: url) }
        }
        guard case .connectionRefused? = error else {
            Issue.record("expected connectionRefused, got \(String(describing: error))")
            return
        }
        #expect(error?.failureKind == .refused)
    }

    @Test func tlsToAPlainServerIsATLSError() async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            _ = try await peer.readAnyBytes()  // a TLS ClientHello, not HTTP
            try await peer.writeRaw("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
        }) { server in
            let url = try #require(RelayURL("wss://127.0.0.1:\(server.port)"))
            let transport = try loopbackTransport(tls: try SelfSignedCertificate.make())
            let error = try await withDeadline(30, "connect") {
                await Self.transportError { () throws(TransportError) in _ = try await transport.connect(to: url) }
            }
            guard case .tls? = error else {
                Issue.record("expected tls, got \(String(describing: error))")
                return
            }
            #expect(error?.failureKind == .tlsCertificate)
        }
    }

    @Test(arguments: ["localhost", "127.0.0.1"])
    func untrustedCertificateIsATLSError(_ host: String) async throws {
        let cert = try SelfSignedCertificate.make()
        try await InProcessRelayServer.run(tls: try cert.serverTLSConfiguration()) { server in
            // System trust roots: the self-signed certificate is not trusted.
            let transport = WebSocketRelayTransport(configuration: .init(addressPolicy: AddressPolicy(allowPrivate: true)))
            let error = try await withDeadline(30, "connect") {
                await Self.transportError { () throws(TransportError) in _ = try await transport.connect(to: server.url(host: host)) }
            }
            guard case .tls? = error else {
                Issue.record("expected tls, got \(String(describing: error))")
                return
            }
            #expect(error?.failureKind == .tlsCertificate)
        }
    }

    @Test func certificateForAnotherNameIsATLSError() async throws {
        // Valid for other.example only: neither localhost nor 127.0.0.1 may accept it.
        let cert = try SelfSignedCertificate.make(commonName: "other.example", subjectAltNames: "DNS:other.example")
        try await InProcessRelayServer.run(tls: try cert.serverTLSConfiguration()) { server in
            let transport = try loopbackTransport(tls: cert)
            for host in ["localhost", "127.0.0.1"] {
                let error = try await withDeadline(30, "connect") {
                    await Self.transportError { () throws(TransportError) in _ = try await transport.connect(to: server.url(host: host)) }
                }
                guard case .tls? = error else {
                    Issue.record("\(host): expected tls, got \(String(describing: error))")
                    continue
                }
            }
        }
    }
}

/// Pings a scripted peer received, with a way to wait for a count.
final class PingCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    var value: Int { lock.withLock { count } }

    func increment() {
        let ready: [CheckedContinuation<Void, Never>] = lock.withLock {
            count += 1
            let (done, rest) = (waiters.filter { $0.0 <= count }, waiters.filter { $0.0 > count })
            waiters = rest
            return done.map(\.1)
        }
        for c in ready { c.resume() }
    }

    func waitFor(atLeast target: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = lock.withLock {
                if count >= target { return true }
                waiters.append((target, c))
                return false
            }
            if now { c.resume() }
        }
    }
}
