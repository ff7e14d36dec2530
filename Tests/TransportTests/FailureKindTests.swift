import Health
import Testing
import Transport

/// TransportError -> Health's ConnectionFailureKind.
@Suite struct FailureKindTests {
    @Test(arguments: [
        (TransportError.dnsFailure("x"), ConnectionFailureKind.dns),
        (.tls("bad certificate"), .tlsCertificate),
        (.handshakeFailed("404"), .protocolError),
        (.protocolViolation("bad frame"), .protocolError),
        (.messageTooLarge(limit: 10), .protocolError),
        (.connectionRefused("127.0.0.1:1"), .refused),
        (.timeout, .timeout),
        (.closedByPeer(code: 1000, reason: nil), .closedByPeer),
        (.closedByPeer(code: nil, reason: nil), .closedByPeer),
        (.notConnected, .closedByPeer),
        (.invalidURL("x"), .other),
        (.addressNotAllowed("x"), .other),
        (.other("something odd"), .other),
        (.other("Connection refused (errno: 111)"), .refused),
        (.other("operation timed out"), .timeout),
    ])
    func mapping(_ error: TransportError, _ kind: ConnectionFailureKind) {
        #expect(error.failureKind == kind)
    }

    @Test func persistentKindsAreMisconfigurations() {
        #expect(TransportError.dnsFailure("x").failureKind.isPersistentMisconfiguration)
        #expect(TransportError.tls("x").failureKind.isPersistentMisconfiguration)
        #expect(TransportError.handshakeFailed("x").failureKind.isPersistentMisconfiguration)
        #expect(!TransportError.timeout.failureKind.isPersistentMisconfiguration)
        #expect(!TransportError.connectionRefused("x").failureKind.isPersistentMisconfiguration)
        #expect(!TransportError.closedByPeer(code: nil, reason: nil).failureKind.isPersistentMisconfiguration)
    }
}
