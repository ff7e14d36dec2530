import Nostr
import Testing
import Transport
import TransportTestKit

/// The SSRF guard's check alone (no connection is made; IP literals need no DNS, and
/// `localhost` resolves from the hosts file).
@Suite struct AddressPolicyTests {
    static let refused: [String] = [
        "127.0.0.1", "127.1.2.3",                       // loopback
        "::1",                                          // IPv6 loopback
        "10.0.0.1", "10.255.255.254",                   // 10/8
        "172.16.0.1", "172.31.255.254",                 // 172.16/12
        "192.168.0.1", "192.168.255.254",               // 192.168/16
        "169.254.0.1", "169.254.169.254",               // link-local (cloud metadata)
        "fe80::1", "febf::1",                           // fe80::/10
        "fc00::1", "fd12:3456::1",                      // fc00::/7 unique local
        "224.0.0.1", "239.255.255.250",                 // multicast 224/4
        "ff02::1", "ff0e::1",                           // multicast ff00::/8
        "0.0.0.0", "::",                                // unspecified
        "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::ffff:192.168.1.1", // IPv4-mapped private / loopback
        "100.64.0.1",                                   // shared (CGNAT)
        "255.255.255.255",                              // broadcast
        "64:ff9b::a00:1",                               // NAT64 of 10.0.0.1
    ]

    static let publicAddresses: [String] = ["1.1.1.1", "8.8.8.8", "2606:4700::1111", "2001:4860:4860::8888", "::ffff:1.1.1.1", "172.32.0.1", "192.169.0.1"]

    static func url(_ host: String, scheme: String = "wss") -> RelayURL {
        let h = host.contains(":") ? "[\(host)]" : host
        return RelayURL("\(scheme)://\(h)")!
    }

    @Test(arguments: refused)
    func refusedByDefault(_ host: String) {
        #expect(throws: TransportError.self) { try AddressPolicy().check(Self.url(host)) }
        do {
            try AddressPolicy().check(Self.url(host))
        } catch {
            guard case .addressNotAllowed = error else {
                Issue.record("expected addressNotAllowed for \(host), got \(error)")
                return
            }
            #expect(error.failureKind == .other)
        }
    }

    @Test(arguments: refused)
    func allowedWithAllowPrivate(_ host: String) throws {
        try AddressPolicy(allowPrivate: true).check(Self.url(host))
    }

    @Test(arguments: publicAddresses)
    func publicAddressesPass(_ host: String) throws {
        try AddressPolicy().check(Self.url(host))
        try AddressPolicy().check(Self.url(host, scheme: "ws"))
    }

    @Test func hostNameResolvingToLoopbackIsRefused() {
        #expect(throws: TransportError.self) { try AddressPolicy().check(RelayURL("ws://localhost:7447")!) }
        do {
            try AddressPolicy().check(RelayURL("ws://localhost")!)
        } catch {
            guard case .addressNotAllowed(let text) = error else {
                Issue.record("expected addressNotAllowed, got \(error)")
                return
            }
            #expect(text.contains("localhost"))
        }
    }

    @Test func vetRefusesLocalhostAfterResolving() async {
        await #expect(throws: TransportError.self) { _ = try await AddressPolicy().vet(RelayURL("ws://localhost")!) }
    }

    @Test func vetReturnsTheCheckedAddressesToDial() async throws {
        let addresses = try await AddressPolicy().vet(RelayURL("wss://[2606:4700::1111]")!)
        #expect(addresses?.map(\.bytes.count) == [16])
        #expect(AddressPolicy.isPublic(try #require(addresses?.first)))
        // Allowed without looking at addresses: the caller dials the name.
        #expect(try await AddressPolicy(allowPrivate: true).vet(RelayURL("ws://localhost")!) == nil)
        #expect(try await AddressPolicy(allowedHosts: ["localhost"]).vet(RelayURL("ws://localhost")!) == nil)
    }

    @Test func allowedHostListOptsSingleHostsIn() throws {
        let policy = AddressPolicy(allowedHosts: ["LocalHost", "10.0.0.5", "[::1]", "relay.internal"])
        try policy.check(RelayURL("ws://localhost:4848")!)
        try policy.check(RelayURL("ws://10.0.0.5:7777")!)
        try policy.check(RelayURL("ws://[::1]:7777")!)
        try policy.check(RelayURL("ws://[0:0::1]")!)        // same address, other spelling
        try policy.check(RelayURL("wss://relay.internal")!) // listed name, not resolved
        #expect(throws: TransportError.self) { try policy.check(RelayURL("ws://10.0.0.6")!) }
        #expect(throws: TransportError.self) { try policy.check(RelayURL("ws://127.0.0.1")!) }
        #expect(throws: TransportError.self) { try policy.check(RelayURL("ws://192.168.1.1")!) }
    }

    @Test func nonWebSocketSchemesAreRefused() async {
        // RelayURL itself refuses other schemes, so they never reach the transport.
        #expect(RelayURL("http://1.1.1.1") == nil)
        #expect(RelayURL("https://relay.example") == nil)
        #expect(RelayURL("file:///etc/passwd") == nil)
        #expect(RelayURL("ftp://1.1.1.1") == nil)
        #expect(RelayURL("ws://1.1.1.1") != nil)
    }

    @Test func transportRefusesPrivateAddressesBeforeDialling() async throws {
        // Default policy: the transport fails with addressNotAllowed without any connection
        // attempt (the scripted server would count one).
        try await ScriptedWebSocketServer.with({ _, _ in }) { server in
            let transport = WebSocketRelayTransport()
            await #expect(throws: TransportError.self) { _ = try await transport.connect(to: server.url) }
            do throws(TransportError) {
                _ = try await transport.connect(to: server.url)
            } catch {
                guard case .addressNotAllowed = error else {
                    Issue.record("expected addressNotAllowed, got \(error)")
                    return
                }
            }
            #expect(server.connectionCount == 0)
        }
    }
}

