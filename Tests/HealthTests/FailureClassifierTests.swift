import Health
import Testing

/// The naughty-list failure classifier and the reference's unit checks for it (decisions:
/// Naughty list, Ported reference checks).
@Suite("Failure classifier")
struct FailureClassifierTests {
    @Test(arguments: FailureClassifier.dnsKeywords)
    func eachDNSKeyword(keyword: String) {
        #expect(FailureClassifier.misconfigurationCategory(of: "fatal: \(keyword.uppercased()) for host") == .dnsLookupFailed)
    }

    @Test(arguments: FailureClassifier.tlsKeywords)
    func eachTLSKeyword(keyword: String) {
        #expect(FailureClassifier.misconfigurationCategory(of: "error: \(keyword) while connecting") == .tlsCertificateInvalid)
    }

    @Test(arguments: [
        "WebSocket protocol error",
        "websocket handshake failed: expected 101, got 200",
        "invalid frame received",
        "Invalid Frame header",
    ])
    func protocolErrors(text: String) {
        #expect(FailureClassifier.misconfigurationCategory(of: text) == .protocolError)
    }

    @Test func realisticErrors() {
        #expect(FailureClassifier.misconfigurationCategory(
            of: "error trying to connect: dns error: failed to lookup address information: Name or service not known")
            == .dnsLookupFailed)
        #expect(FailureClassifier.misconfigurationCategory(
            of: "invalid peer certificate: UnknownIssuer") == .tlsCertificateInvalid)
        #expect(FailureClassifier.misconfigurationCategory(
            of: "SSL certificate problem: certificate has expired") == .tlsCertificateInvalid)
    }

    /// TLS/SSL together with a timeout is transient (decisions: Ported reference checks).
    @Test(arguments: [
        "TLS handshake timeout",
        "SSL connection timed out",
        "certificate fetch: operation timed out",
        "openssl: read timeout",
    ])
    func tlsWithTimeoutIsTransient(text: String) {
        #expect(FailureClassifier.misconfigurationCategory(of: text) == nil)
    }

    /// "websocket connection refused/timeout" is transient (decisions: Ported reference checks).
    @Test(arguments: [
        "websocket connection refused",
        "WebSocket timeout",
        "websocket: Connection reset by peer",
        "websocket upgrade refused",
        "invalid frame: timed out",
    ])
    func websocketConnectionTroubleIsTransient(text: String) {
        #expect(FailureClassifier.misconfigurationCategory(of: text) == nil)
    }

    /// git's generic "protocol error" is deliberately not a protocol misconfiguration
    /// (decisions: Ported reference checks).
    @Test(arguments: [
        "fatal: protocol error: bad line length character: Not F",
        "error: RPC failed; protocol error",
        "protocol error",
    ])
    func gitProtocolErrorsAreTransient(text: String) {
        #expect(FailureClassifier.misconfigurationCategory(of: text) == nil)
    }

    /// Remote warnings are ignored, but a real error after them is classified
    /// (decisions: Ported reference checks).
    @Test func remoteWarningsAreIgnored() {
        #expect(FailureClassifier.misconfigurationCategory(of: "remote: warning: certificate expires soon") == nil)
        #expect(FailureClassifier.misconfigurationCategory(of: "  Remote: Warning: TLS handshake slow\n\n") == nil)
        #expect(FailureClassifier.misconfigurationCategory(of: "warning: remote ssl error ahead") == nil)
        #expect(FailureClassifier.misconfigurationCategory(
            of: "remote: warning: ssl certificate of the mirror expires soon\nfatal: dns error: failed to lookup address")
            == .dnsLookupFailed)
        #expect(FailureClassifier.misconfigurationCategory(
            of: "warning: remote certificate rotated\r\nfatal: tls alert: bad certificate") == .tlsCertificateInvalid)
        #expect(FailureClassifier.misconfigurationCategory(
            of: "remote: warning: certificate\nfatal: unable to access: Connection refused") == nil)
    }

    /// Keywords inside URLs do not match (decisions: Ported reference checks).
    @Test(arguments: [
        "failed to clone https://github.com/user/my-openssl-project.git: connection refused",
        "unable to access 'https://ssl-team.example.com/ssl_error-handbook.git/': The requested URL returned error: 404",
        "fetch from http://certificate-manager.internal/x failed",
        "wss://dns-tools.example.org/getaddrinfo closed (code 1006)",
        "ws://relay-tls-test.example:7777/tls_error unreachable",
        "[git://openssl.example/x] broken",
        "http://example.com/websocket-guide returned 404",
        "see <HTTPS://Certificate.Example/help> for details",
    ])
    func keywordsInsideURLsDoNotMatch(text: String) {
        #expect(FailureClassifier.misconfigurationCategory(of: text) == nil)
    }

    @Test func urlMaskingStopsAtTerminators() {
        #expect(FailureClassifier.misconfigurationCategory(
            of: "'https://a.example/certificate' tls alert: handshake failure") == .tlsCertificateInvalid)
        #expect(FailureClassifier.misconfigurationCategory(
            of: "https://ok.example/ returned: ssl certificate problem: unable to get local issuer certificate")
            == .tlsCertificateInvalid)
        #expect(FailureClassifier.misconfigurationCategory(
            of: "(wss://x.example/websocket) websocket handshake failed") == .protocolError)
    }

    @Test func emptyAndBlankTextsAreTransient() {
        #expect(FailureClassifier.misconfigurationCategory(of: "") == nil)
        #expect(FailureClassifier.misconfigurationCategory(of: " \n\t\n") == nil)
    }

    @Test func failureKindsFromText() {
        #expect(ConnectionFailureKind(classifying: "dns error: failed to lookup address information") == .dns)
        #expect(ConnectionFailureKind(classifying: "invalid peer certificate: Expired") == .tlsCertificate)
        #expect(ConnectionFailureKind(classifying: "websocket protocol error") == .protocolError)
        #expect(ConnectionFailureKind(classifying: "Connection refused (os error 111)") == .refused)
        #expect(ConnectionFailureKind(classifying: "connection timed out") == .timeout)
        #expect(ConnectionFailureKind(classifying: "TLS handshake timeout") == .timeout)
        #expect(ConnectionFailureKind(classifying: "Connection reset by peer") == .closedByPeer)
        #expect(ConnectionFailureKind(classifying: "something odd happened") == .other)
    }

    @Test func persistentMisconfigurationKinds() {
        let persistent = ConnectionFailureKind.allCases.filter(\.isPersistentMisconfiguration)
        #expect(persistent == [.dns, .tlsCertificate, .protocolError])
        #expect(ConnectionFailureKind.dns.misconfigurationCategory == .dnsLookupFailed)
        #expect(ConnectionFailureKind.tlsCertificate.misconfigurationCategory == .tlsCertificateInvalid)
        #expect(ConnectionFailureKind.protocolError.misconfigurationCategory == .protocolError)
        #expect(ConnectionFailureKind.timeout.misconfigurationCategory == nil)
        for category in MisconfigurationCategory.allCases {
            #expect(category.failureKind.misconfigurationCategory == category)
        }
    }

    /// The category raw values are metric labels (decisions: Binding metric names and
    /// encodings).
    @Test func categoryLabels() {
        #expect(MisconfigurationCategory.allCases.map(\.rawValue)
            == ["dns_lookup_failed", "tls_certificate_invalid", "protocol_error"])
    }
}
