import Foundation
import Nostr
import Testing
import Transport
import TransportTestKit

/// A resolver double for a rebinding DNS server: its first answer is `first`, every later
/// answer is `later`. Counts the questions.
final class RebindingResolver: HostResolver, @unchecked Sendable {
    private let lock = NSLock()
    private var questions = 0
    let first: [AddressPolicy.ResolvedAddress]
    let later: [AddressPolicy.ResolvedAddress]

    init(first: String, later: String) {
        self.first = [AddressPolicy.parseIPv4(first)!]
        self.later = [AddressPolicy.parseIPv4(later)!]
    }

    var calls: Int { lock.withLock { questions } }

    func resolve(_ host: String) async throws(TransportError) -> [AddressPolicy.ResolvedAddress] {
        lock.withLock {
            questions += 1
            return questions == 1 ? first : later
        }
    }
}

/// Holds the upgrade request a scripted server saw.
final class RequestBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: ScriptedPeer.Request?
    func set(_ r: ScriptedPeer.Request) { lock.withLock { stored = r } }
    var value: ScriptedPeer.Request? { lock.withLock { stored } }
}

/// The SSRF guard and the connector see one DNS answer: the transport dials exactly the
/// addresses that passed the guard, so a rebinding DNS server whose second answer is private
/// never gets a private address dialled.
@Suite struct DNSRebindingTests {
    @Test func secondPrivateAnswerIsNeverDialled() async throws {
        // 127.0.0.1 passes only because it is listed; 10.66.0.1 (the rebound answer) is not.
        let resolver = RebindingResolver(first: "127.0.0.1", later: "10.66.0.1")
        let seen = RequestBox()
        try await ScriptedWebSocketServer.with({ peer, _ in
            seen.set(try await peer.upgrade())
            await peer.waitForClientClose()
        }) { server in
            let policy = AddressPolicy(allowedHosts: ["127.0.0.1"], resolver: resolver)
            let transport = WebSocketRelayTransport(configuration: WebSocketTransportConfiguration(connectTimeout: 10, addressPolicy: policy))
            let url = RelayURL("ws://rebind.test:\(server.port)")!
            let session = try await withDeadline { try await transport.connectWebSocket(to: url) }
            #expect(session.dialledTargets == ["127.0.0.1:\(server.port)"])
            #expect(!session.dialledTargets.contains { $0.hasPrefix("10.66.0.1") })
            #expect(resolver.calls == 1)
            #expect(server.connectionCount == 1)
            // The URL's host name still goes in the Host header.
            #expect(seen.value?.headers["host"] == "rebind.test:\(server.port)")
            await session.close()
        }
    }

    @Test func firstPrivateAnswerIsRefusedBeforeDialling() async throws {
        let resolver = RebindingResolver(first: "10.66.0.1", later: "127.0.0.1")
        try await ScriptedWebSocketServer.with({ _, _ in }) { server in
            let policy = AddressPolicy(allowedHosts: ["127.0.0.1"], resolver: resolver)
            let transport = WebSocketRelayTransport(configuration: WebSocketTransportConfiguration(addressPolicy: policy))
            do throws(TransportError) {
                _ = try await transport.connectWebSocket(to: RelayURL("ws://rebind.test:\(server.port)")!)
                Issue.record("connected although the checked answer was private")
            } catch {
                guard case .addressNotAllowed = error else {
                    Issue.record("expected addressNotAllowed, got \(error)")
                    return
                }
            }
            #expect(resolver.calls == 1)
            #expect(server.connectionCount == 0)
        }
    }

    @Test func vetAsksTheResolverOnceAndReturnsThatAnswer() async throws {
        let resolver = RebindingResolver(first: "1.1.1.1", later: "10.0.0.1")
        let policy = AddressPolicy(resolver: resolver)
        let addresses = try await policy.vet(RelayURL("wss://relay.example")!)
        #expect(addresses == [AddressPolicy.parseIPv4("1.1.1.1")!])
        #expect(resolver.calls == 1)
    }
}
