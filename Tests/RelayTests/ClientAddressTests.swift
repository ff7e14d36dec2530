import Relay
import Testing

/// Which IP a client counts as: the socket peer, unless a trusted proxy header is configured.
@Suite struct ClientAddressTests {
    @Test func headersAreIgnoredUnlessAHeaderIsTrusted() {
        #expect(ClientAddress.resolve(peerIP: "192.0.2.7", headerValues: ["198.51.100.1"], trustedHeader: nil) == "192.0.2.7")
    }

    @Test func trustedHeaderGivesTheAddressTheProxyAppended() {
        // A client may send its own X-Forwarded-For; the proxy appends the real address last.
        #expect(ClientAddress.resolve(peerIP: "127.0.0.1", headerValues: ["10.9.9.9, 198.51.100.1"],
                                      trustedHeader: "X-Forwarded-For") == "198.51.100.1")
        #expect(ClientAddress.resolve(peerIP: "127.0.0.1", headerValues: ["1.2.3.4", "[2001:DB8::1]"],
                                      trustedHeader: "X-Forwarded-For") == "2001:db8::1")
    }

    @Test func missingOrUnusableHeaderFallsBackToThePeer() {
        #expect(ClientAddress.resolve(peerIP: "127.0.0.1", headerValues: [], trustedHeader: "X-Real-IP") == "127.0.0.1")
        #expect(ClientAddress.resolve(peerIP: "127.0.0.1", headerValues: [" "], trustedHeader: "X-Real-IP") == "127.0.0.1")
        #expect(ClientAddress.resolve(peerIP: "127.0.0.1", headerValues: [String(repeating: "a", count: 100)],
                                      trustedHeader: "X-Real-IP") == "127.0.0.1")
        #expect(ClientAddress.resolve(peerIP: nil, headerValues: [], trustedHeader: nil) == "unknown")
    }
}
