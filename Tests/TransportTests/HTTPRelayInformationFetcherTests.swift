import Foundation
import Health
import NIOSSL
import Nostr
import Relay
import Testing
import Transport
import TransportTestKit

/// The NIP-11 fetcher over real sockets. The server is `ScriptedWebSocketServer` used as a
/// raw TCP server on 127.0.0.1 (ephemeral port): each script reads the request head and
/// writes the HTTP answer byte for byte, so it can also answer wrongly (oversized, not
/// JSON, truncated, never).
@Suite struct HTTPRelayInformationFetcherTests {
    static let graspDocument = #"{"name":"grasp relay","software":"https://example.com/ngit-relay","version":"1.2","supported_nips":[1,11,34,77],"supported_grasps":["GRASP-01","GRASP-02"]}"#
    static let plainDocument = #"{"name":"plain relay","supported_nips":[1,11]}"#

    /// A fetcher that may dial 127.0.0.1.
    static func fetcher(timeout: Double = 10) -> HTTPRelayInformationFetcher {
        HTTPRelayInformationFetcher(addressPolicy: AddressPolicy(allowPrivate: true), timeout: timeout)
    }

    /// A 200 answer with `Content-Length`.
    static func ok(_ body: String, contentType: String = "application/nostr+json") -> String {
        "HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Answers each request with `answer` and then waits for the client to close the
    /// connection (so a client that waited for the server's close would time out). Records
    /// the request and signals `closed` once the client closed.
    static func answering(_ answer: String, seen: SeenRequest = SeenRequest()) -> ScriptedWebSocketServer.Script {
        { peer, _ in
            seen.record(try await peer.readRequest())
            try await peer.writeRaw(answer)
            await peer.neverAnswer()
            seen.clientClosed()
        }
    }

    /// Fetches with a hang guard; the typed error, or nil on success.
    static func failure(_ fetcher: HTTPRelayInformationFetcher, _ url: RelayURL) async throws -> TransportError? {
        try await withDeadline(20, "relay information of \(url)") {
            do throws(TransportError) {
                _ = try await fetcher.information(for: url)
                return nil
            } catch {
                return error
            }
        }
    }

    static func fetch(_ fetcher: HTTPRelayInformationFetcher, _ url: RelayURL) async throws -> RemoteRelayInformation {
        try await withDeadline(20, "relay information of \(url)") { try await fetcher.information(for: url) }
    }

    // MARK: - Answers the fetcher accepts

    @Test func graspDocumentIsRecognised() async throws {
        try await ScriptedWebSocketServer.with(Self.answering(Self.ok(Self.graspDocument))) { server in
            let info = try await Self.fetch(Self.fetcher(), server.url)
            #expect(info.isGraspServer)
            #expect(info.supportedGRASPs == ["GRASP-01", "GRASP-02"])
            #expect(info.supportedNIPs == [1, 11, 34, 77])
            #expect(info.supportsNegentropy)
            #expect(info.name == "grasp relay")
            #expect(info.software == "https://example.com/ngit-relay")
            #expect(info.version == "1.2")
        }
    }

    @Test func documentWithoutGraspsIsNotAGraspServer() async throws {
        try await ScriptedWebSocketServer.with(Self.answering(Self.ok(Self.plainDocument))) { server in
            let info = try await Self.fetch(Self.fetcher(), server.url)
            #expect(!info.isGraspServer)
            #expect(!info.supportsNegentropy)
            #expect(info.supportedNIPs == [1, 11])
        }
    }

    @Test func requestCarriesNIP11HeadersAndThePath() async throws {
        let seen = SeenRequest()
        try await ScriptedWebSocketServer.with(Self.answering(Self.ok(Self.plainDocument), seen: seen)) { server in
            let url = RelayURL("ws://127.0.0.1:\(server.port)/nostr?x=1")!
            _ = try await Self.fetch(Self.fetcher(), url)
            let request = try #require(seen.request)
            #expect(request.requestLine == "GET /nostr?x=1 HTTP/1.1")
            #expect(request.headers["accept"] == "application/nostr+json")
            #expect(request.headers["host"] == "127.0.0.1:\(server.port)")
            #expect(request.headers["user-agent"] == "grasp-sync")
        }
    }

    @Test func chunkedBodyIsAssembled() async throws {
        let body = Array(Self.graspDocument.utf8)
        let parts = [body[..<10], body[10..<50], body[50...]]
        var answer = "HTTP/1.1 200 OK\r\nContent-Type: application/nostr+json\r\nTransfer-Encoding: chunked\r\n\r\n"
        for part in parts { answer += String(part.count, radix: 16) + "\r\n" + String(decoding: part, as: UTF8.self) + "\r\n" }
        answer += "0\r\n\r\n"
        try await ScriptedWebSocketServer.with(Self.answering(answer)) { server in
            let info = try await Self.fetch(Self.fetcher(), server.url)
            #expect(info.isGraspServer)
            #expect(info.supportedNIPs == [1, 11, 34, 77])
        }
    }

    @Test func bodyEndedByConnectionCloseIsAccepted() async throws {
        // Neither Content-Length nor chunked: HTTP/1.1 then ends the body at the close.
        try await ScriptedWebSocketServer.with({ peer, _ in
            _ = try await peer.readRequest()
            try await peer.writeRaw("HTTP/1.1 200 OK\r\nContent-Type: application/nostr+json\r\n\r\n\(Self.graspDocument)")
        }) { server in
            let info = try await Self.fetch(Self.fetcher(), server.url)
            #expect(info.isGraspServer)
        }
    }

    // MARK: - Our own relay (Hummingbird), plain and over TLS

    @Test func ownRelayDocumentOverPlainHTTP() async throws {
        try await InProcessRelayServer.run { server in
            let info = try await Self.fetch(Self.fetcher(), server.url())
            let expected = RelayInformation()
            #expect(info.supportedGRASPs == expected.supportedGRASPs)
            #expect(info.supportedNIPs == expected.supportedNIPs)
            #expect(info.isGraspServer)
            #expect(info.supportsNegentropy)
            #expect(info.version == expected.version)
        }
    }

    @Test func ownRelayDocumentOverTLSVerifiesTheHostName() async throws {
        let cert = try SelfSignedCertificate.make()
        try await InProcessRelayServer.run(tls: try cert.serverTLSConfiguration()) { server in
            // The certificate names localhost: the request must use it for SNI and the check.
            let trusting = HTTPRelayInformationFetcher(addressPolicy: AddressPolicy(allowPrivate: true),
                                                       tlsConfiguration: try cert.clientTLSConfiguration())
            let info = try await Self.fetch(trusting, server.url(host: "localhost"))
            #expect(info.isGraspServer)
            // An IP literal goes without SNI and is checked against the IP SANs.
            #expect(try await Self.fetch(trusting, server.url()).isGraspServer)

            // A client that does not trust the certificate gets a TLS error, not a document.
            let other = try SelfSignedCertificate.make()
            let distrusting = HTTPRelayInformationFetcher(addressPolicy: AddressPolicy(allowPrivate: true),
                                                          tlsConfiguration: try other.clientTLSConfiguration())
            let error = try await Self.failure(distrusting, server.url(host: "localhost"))
            guard case .tls? = error else {
                Issue.record("expected a TLS failure, got \(String(describing: error))")
                return
            }
        }
    }

    // MARK: - Answers the fetcher refuses

    @Test func notFoundIsAnError() async throws {
        let answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
        try await ScriptedWebSocketServer.with(Self.answering(answer)) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            guard case .relayInformationUnavailable(status: 404, _)? = error else {
                Issue.record("expected relayInformationUnavailable(404), got \(String(describing: error))")
                return
            }
        }
    }

    @Test func redirectIsNotFollowed() async throws {
        let seen = SeenRequest()
        try await ScriptedWebSocketServer.with({ peer, _ in
            seen.record(try await peer.readRequest())
            // Points back at this server: following it would show as a second connection.
            try await peer.writeRaw("HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n")
            await peer.neverAnswer()
        }) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            guard case .relayInformationUnavailable(status: 301, let reason)? = error else {
                Issue.record("expected relayInformationUnavailable(301), got \(String(describing: error))")
                return
            }
            #expect(reason.contains("not followed"))
            #expect(server.connectionCount == 1)
        }
    }

    @Test func declaredOversizedBodyFailsAndClosesTheConnection() async throws {
        let seen = SeenRequest()
        let length = HTTPRelayInformationFetcher.maxBodyBytes + 1
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: \(length)\r\n\r\n" + String(repeating: " ", count: 4096)
        try await ScriptedWebSocketServer.with(Self.answering(answer, seen: seen)) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            #expect(error == .messageTooLarge(limit: HTTPRelayInformationFetcher.maxBodyBytes))
            try await withDeadline(10, "client close") { await seen.waitUntilClientClosed() }
        }
    }

    @Test func oversizedChunkedBodyFailsAndClosesTheConnection() async throws {
        // No length announced: the limit has to hold while the body streams in.
        let seen = SeenRequest()
        try await ScriptedWebSocketServer.with({ peer, _ in
            seen.record(try await peer.readRequest())
            try await peer.writeRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = "2000\r\n" + String(repeating: " ", count: 0x2000) + "\r\n"
            // 9 × 8 KiB = 72 KiB; writes fail once the client has closed.
            for _ in 0..<9 { try? await peer.writeRaw(chunk) }
            await peer.neverAnswer()
            seen.clientClosed()
        }) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            #expect(error == .messageTooLarge(limit: HTTPRelayInformationFetcher.maxBodyBytes))
            try await withDeadline(10, "client close") { await seen.waitUntilClientClosed() }
        }
    }

    @Test func chunkFramingIsBoundedToo() async throws {
        // One-byte chunks: a 30 KB body in 180 KB of framing.
        let chunk = String(repeating: "1\r\n \r\n", count: 30_000)
        let answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + "0\r\n\r\n"
        try await ScriptedWebSocketServer.with(Self.answering(answer)) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            #expect(error == .messageTooLarge(limit: HTTPRelayInformationFetcher.maxBodyBytes))
        }
    }

    @Test func bodyThatIsNotJSONIsAnError() async throws {
        try await ScriptedWebSocketServer.with(Self.answering(Self.ok("<html>a relay</html>", contentType: "text/html"))) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            guard case .relayInformationUnavailable(status: nil, _)? = error else {
                Issue.record("expected relayInformationUnavailable, got \(String(describing: error))")
                return
            }
        }
    }

    @Test func truncatedBodyIsAnError() async throws {
        try await ScriptedWebSocketServer.with({ peer, _ in
            _ = try await peer.readRequest()
            try await peer.writeRaw("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"name\":")
        }) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            #expect(error != nil)
        }
    }

    @Test func garbageAnswerIsAnError() async throws {
        try await ScriptedWebSocketServer.with(Self.answering("SSH-2.0-OpenSSH_9.6\r\n\r\n")) { server in
            let error = try await Self.failure(Self.fetcher(), server.url)
            guard case .relayInformationUnavailable(status: nil, _)? = error else {
                Issue.record("expected relayInformationUnavailable, got \(String(describing: error))")
                return
            }
        }
    }

    // MARK: - Guards

    @Test func privateAddressIsRefusedWithoutConnecting() async throws {
        try await ScriptedWebSocketServer.with(Self.answering(Self.ok(Self.graspDocument))) { server in
            let fetcher = HTTPRelayInformationFetcher(addressPolicy: AddressPolicy(allowPrivate: false))
            let error = try await Self.failure(fetcher, server.url)
            guard case .addressNotAllowed? = error else {
                Issue.record("expected addressNotAllowed, got \(String(describing: error))")
                return
            }
            #expect(server.connectionCount == 0)
        }
    }

    @Test func silentServerTimesOut() async throws {
        let (accepted, signal) = AsyncStream<Void>.makeStream()
        try await ScriptedWebSocketServer.with({ peer, _ in
            signal.yield()
            await peer.neverAnswer()
        }) { server in
            let error = try await Self.failure(Self.fetcher(timeout: 2), server.url)
            #expect(error == .timeout)
            // The connection was made (the server's script ran, however late a loaded
            // machine scheduled it); nothing came back.
            var iterator = accepted.makeAsyncIterator()
            #expect(await iterator.next() != nil)
        }
    }

    @Test func controlCharacterInPathIsRefused() async throws {
        // RelayURL keeps the path as written; it must not reach the request line.
        let url = try #require(RelayURL("ws://127.0.0.1:1/a\r\nX-Injected: 1"))
        let error = try await Self.failure(Self.fetcher(), url)
        guard case .invalidURL? = error else {
            Issue.record("expected invalidURL, got \(String(describing: error))")
            return
        }
    }

    // MARK: - RemoteRelayInformation.parse

    static func parse(_ text: String) throws(TransportError) -> RemoteRelayInformation {
        try RemoteRelayInformation.parse(Array(text.utf8))
    }

    @Test func parseReadsEveryField() throws {
        let info = try Self.parse(Self.graspDocument)
        #expect(info == RemoteRelayInformation(
            supportedNIPs: [1, 11, 34, 77], supportedGRASPs: ["GRASP-01", "GRASP-02"],
            software: "https://example.com/ngit-relay", version: "1.2", name: "grasp relay"))
    }

    @Test func parseTreatsMissingFieldsAsAbsent() throws {
        let info = try Self.parse("{}")
        #expect(info == RemoteRelayInformation())
        #expect(!info.isGraspServer)
        #expect(!info.supportsNegentropy)
    }

    @Test func parseTreatsIllTypedFieldsAsAbsent() throws {
        let info = try Self.parse(#"""
            {"supported_nips": "1,11,77", "supported_grasps": "GRASP-01", "name": 5,
             "software": ["x"], "version": null, "limitation": {"max_message_length": 1}}
            """#)
        #expect(info == RemoteRelayInformation())
        #expect(!info.isGraspServer)
    }

    @Test func parseSkipsIllTypedArrayElements() throws {
        let info = try Self.parse(#"""
            {"supported_nips": [1, "11", true, 2.5, null, {}, [77], 77],
             "supported_grasps": ["GRASP-01", 1, "", null, ["GRASP-02"]]}
            """#)
        #expect(info.supportedNIPs == [1, 77])
        #expect(info.supportedGRASPs == ["GRASP-01"])
    }

    @Test func parseEmptyGraspListIsNotAGraspServer() throws {
        #expect(try !Self.parse(#"{"supported_grasps": []}"#).isGraspServer)
        #expect(try !Self.parse(#"{"supported_grasps": [""]}"#).isGraspServer)
    }

    @Test(arguments: ["[]", #""relay""#, "42", "null", "true", "", "{", "{\"name\": }", "<html></html>"])
    func parseRefusesNonObjects(_ text: String) {
        #expect(throws: TransportError.self) { try Self.parse(text) }
    }

    @Test func parseRefusesInvalidUTF8() {
        #expect(throws: TransportError.self) { try RemoteRelayInformation.parse([0x7b, 0xff, 0xfe, 0x7d]) }
    }

    @Test func parseSurvivesDeepNesting() {
        // Deeper than JSONDecoder's nesting limit, in a field nobody reads: an error or a
        // document, never a crash.
        let deep = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        let info = try? Self.parse(#"{"name": "deep", "x": \#(deep)}"#)
        #expect(info == nil || info?.name == "deep")
    }

    @Test func codableUsesNIP11KeysAndRoundTrips() throws {
        let info = try Self.parse(Self.graspDocument)
        let encoded = try JSONEncoder().encode(info)
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object["supported_grasps"] as? [String] == ["GRASP-01", "GRASP-02"])
        #expect(try RemoteRelayInformation.parse(Array(encoded)) == info)
        #expect(try JSONDecoder().decode(RemoteRelayInformation.self, from: encoded) == info)
    }

    @Test func relayInformationFailuresAreNotConnectionFailures() {
        #expect(TransportError.relayInformationUnavailable(status: 404, reason: "x").failureKind == .other)
    }
}

/// What a scripted server saw: the request head, and whether the client closed.
final class SeenRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: ScriptedPeer.Request?
    private var closed = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []

    var request: ScriptedPeer.Request? { lock.withLock { stored } }

    func record(_ request: ScriptedPeer.Request) { lock.withLock { stored = request } }

    func clientClosed() {
        let waiters: [CheckedContinuation<Void, Never>] = lock.withLock {
            closed = true
            defer { closeWaiters.removeAll() }
            return closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the client has closed the connection (use under a hang guard).
    func waitUntilClientClosed() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done: Bool = lock.withLock {
                if closed { return true }
                closeWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }
}
