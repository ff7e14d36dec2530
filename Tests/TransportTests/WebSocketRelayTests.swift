import Foundation
import NIOSSL
import Nostr
import Relay
import Store
import Testing
import Transport
import TransportTestKit

/// The WebSocket transport against our own relay over real sockets: ws and wss (a
/// self-signed certificate made for the test; SNI for names, none for IP literals), with and
/// without permessage-deflate, including a 3 MB inbound message.
@Suite struct WebSocketRelayTests {
    enum Endpoint: String, CaseIterable, Sendable {
        case ws = "ws://127.0.0.1"
        case wssLocalhost = "wss://localhost"
        case wssIPv4 = "wss://127.0.0.1"

        var isSecure: Bool { self != .ws }
        var host: String { self == .wssLocalhost ? "localhost" : "127.0.0.1" }
    }

    /// Raised limits so a ~3 MB event can be stored and served back.
    static let bigLimits = RelayLimits(hardMessageLength: 8 * 1024 * 1024, maxLimit: 5000, defaultLimit: 5000)
    static let bigPolicy = AcceptancePolicyConfiguration(
        serviceURLs: [InProcessRelayServer.serviceURL], maxContentBytes: 4 * 1024 * 1024)

    /// SNI values the TLS server saw (nil entries: no SNI sent).
    final class SNIRecorder: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String?] = []
        func record(_ v: String?) { lock.withLock { values.append(v) } }
        var seen: [String?] { lock.withLock { values } }
    }

    static func serverTLS(_ cert: SelfSignedCertificate, recording sni: SNIRecorder) throws -> TLSConfiguration {
        var tls = try cert.serverTLSConfiguration()
        tls.sslContextCallback = { values, promise in
            sni.record(values.serverHostname)
            promise.succeed(.noChanges)
        }
        return tls
    }

    @Test(arguments: Endpoint.allCases, [true, false])
    func roundTripsAndThreeMegabyteMessage(_ endpoint: Endpoint, _ compression: Bool) async throws {
        let cert = endpoint.isSecure ? try SelfSignedCertificate.make() : nil
        let sni = SNIRecorder()
        let serverTLS = try cert.map { try Self.serverTLS($0, recording: sni) }
        try await InProcessRelayServer.run(limits: Self.bigLimits, policy: Self.bigPolicy, tls: serverTLS, compression: compression) { server in
            let transport = try loopbackTransport(compression: compression, tls: cert)
            let url = server.url(host: endpoint.host)
            #expect(url.description.hasPrefix(endpoint.rawValue))
            let session = try await transport.connectWebSocket(to: url)
            #expect(session.negotiatedExtensions == (compression ? ["permessage-deflate"] : []))

            // EVENT -> OK over the socket.
            let repo = Fixtures.announcement()
            try await session.send(.event(repo))
            #expect(try await session.next() == .ok(eventID: repo.id, accepted: true, message: ""))
            let small = Fixtures.issue(for: repo, subject: "small")
            try await session.send(.event(small))
            #expect(try await session.next() == .ok(eventID: small.id, accepted: true, message: ""))

            // A ~3 MB event stored on the relay comes back in one inbound message.
            let big = Fixtures.issue(for: repo, subject: "big", content: String(repeating: "0123456789abcdef", count: 3 * 1024 * 1024 / 16),
                                     createdAt: Fixtures.now - 10)
            #expect(big.jsonText.utf8.count > 3 * 1024 * 1024)
            Fixtures.ingest([big], into: server.relay)
            try await session.send(.req(subscriptionID: "big", filters: [Filter(ids: [big.id])]))
            let bigReply = try await session.collectUntilEOSE("big")
            #expect(bigReply.count == 2)
            guard case .event("big", let received) = bigReply.first else {
                Issue.record("expected the big event first, got \(bigReply.first.map { String(describing: $0) } ?? "nothing")")
                return
            }
            #expect(received == big)
            #expect(received.isValid)
            #expect(bigReply.last == .eose(subscriptionID: "big"))

            // Ordered: a subscription's events, then its EOSE.
            try await session.send(.req(subscriptionID: "issues", filters: [Filter(kinds: [1621])]))
            let issues = try await session.collectUntilEOSE("issues")
            #expect(eventIDs(issues, "issues") == [small.id, big.id])
            #expect(issues.last == .eose(subscriptionID: "issues"))

            // Outbound limit: over 128 KiB is refused before sending; the session stays usable.
            let huge = Fixtures.issue(for: repo, subject: "huge", content: String(repeating: "x", count: 200 * 1024))
            await #expect(throws: TransportError.messageTooLarge(limit: 128 * 1024)) { try await session.send(.event(huge)) }
            try await session.send(.count(subscriptionID: "n", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .count(subscriptionID: "n", count: 2))

            #expect(session.undecodableMessages == 0)
            await session.close()
            #expect(try await session.collectUntilEnd().isEmpty)
            #expect(await session.closeReason() == nil)
            await #expect(throws: TransportError.notConnected) { try await session.send(.close(subscriptionID: "issues")) }
        }
        if endpoint.isSecure {
            // Correct SNI: the host name for names, none at all for an IP literal (RFC 6066).
            #expect(sni.seen == [endpoint == .wssLocalhost ? "localhost" : nil])
        }
    }

    @Test(arguments: [(true, false), (false, true)])
    func compressionNegotiationMismatchStillWorks(_ client: Bool, _ server: Bool) async throws {
        try await InProcessRelayServer.run(compression: server) { relay in
            let session = try await loopbackTransport(compression: client).connectWebSocket(to: relay.url())
            #expect(session.negotiatedExtensions.isEmpty)
            try await session.send(.req(subscriptionID: "s", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .eose(subscriptionID: "s"))
            await session.close()
        }
    }

    @Test func backPressureSlowConsumerLosesNothing() async throws {
        let count = 3000
        let (repo, issues) = Fixtures.repoWithIssues(count, contentBytes: 512)
        try await InProcessRelayServer.run(limits: Self.bigLimits) { server in
            Fixtures.ingest([repo] + issues, into: server.relay)
            // A small inbound buffer: the reader must stop after 8 messages.
            let transport = try loopbackTransport(inboundBufferMessages: 8)
            let session = try await transport.connectWebSocket(to: server.url())
            try await session.send(.req(subscriptionID: "all", filters: [Filter(kinds: [1621], limit: count)]))
            // Nobody reads: wait (event, not time) until the reader is blocked on the buffer.
            try await withDeadline(30, "back-pressure") { await session.messages.waitForBackPressure() }
            #expect(session.messages.isProducerWaiting)
            #expect(session.messages.bufferedCount == 8)
            #expect(await session.closeReason() == nil)   // not a fake disconnect
            // Now read: every event, in order, then EOSE.
            let received = try await session.collectUntilEOSE("all", deadline: 120)
            #expect(eventIDs(received, "all") == issues.map(\.id))
            #expect(received.count == count + 1)
            #expect(received.last == .eose(subscriptionID: "all"))
            // Still connected and usable.
            try await session.send(.count(subscriptionID: "c", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .count(subscriptionID: "c", count: count))
            await session.close()
        }
    }

    /// permessage-deflate with context takeover compresses each message against the ones
    /// before it: concurrent sends must reach the wire in the order they were compressed.
    /// Before the session serialised its sends, some of these REQs arrived as garbage (the
    /// relay answered NOTICE "invalid: could not parse message" and never sent their EOSE).
    @Test func concurrentSendsOverACompressedConnectionAllArriveIntact() async throws {
        let senders = 200
        try await InProcessRelayServer.run(limits: Self.bigLimits, compression: true) { server in
            let session = try await loopbackTransport(compression: true).connectWebSocket(to: server.url())
            #expect(session.negotiatedExtensions == ["permessage-deflate"])
            var random = SplitMix64(seed: 11)
            // Distinct, compressible REQs over the 256-byte compression threshold.
            let requests: [(String, Filter)] = (0..<senders).map { i in
                let ids = (0..<8).map { _ in (0..<4).map { _ in String(format: "%016llx", random.next()) }.joined() }
                return ("sub-\(i)", Filter(ids: ids))
            }
            await withTaskGroup(of: Void.self) { group in
                for (id, filter) in requests {
                    group.addTask { try? await session.send(.req(subscriptionID: id, filters: [filter])) }
                }
            }
            let (eose, notices) = try await withDeadline(60, "every EOSE") { () -> (Set<String>, [String]) in
                var eose = Set<String>()
                var notices: [String] = []
                while eose.count < senders, notices.isEmpty, let message = try? await session.next() {
                    switch message {
                    // A CLOSED (the per-connection subscription cap) also shows the REQ parsed.
                    case .eose(let id), .closed(let id, _): eose.insert(id)
                    case .notice(let text): notices.append(text)
                    default: break
                    }
                }
                return (eose, notices)
            }
            #expect(notices.isEmpty, "the relay could not parse some messages: \(notices.prefix(3))")
            #expect(eose == Set(requests.map(\.0)), "\(senders - eose.count) REQs got no answer")
            await session.close()
        }
    }
}
