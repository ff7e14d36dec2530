import Foundation
import NIOSSL

/// A throw-away self-signed P-256 certificate made with the `openssl` CLI, for TLS tests
/// on 127.0.0.1: by default valid for `DNS:localhost`, `IP:127.0.0.1` and `IP:::1`.
public struct SelfSignedCertificate: Sendable {
    public let certificatePEM: String
    public let privateKeyPEM: String

    /// Generates a certificate into a temporary directory (removed afterwards).
    public static func make(
        commonName: String = "localhost",
        subjectAltNames: String = "DNS:localhost,IP:127.0.0.1,IP:::1"
    ) throws -> SelfSignedCertificate {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("grasp-sync-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("key.pem")
        let cert = dir.appendingPathComponent("cert.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key.path, "-out", cert.path, "-days", "2", "-subj", "/CN=\(commonName)",
            "-addext", "subjectAltName=\(subjectAltNames)",
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CertificateError.opensslFailed(String(decoding: stderr, as: UTF8.self))
        }
        return SelfSignedCertificate(
            certificatePEM: try String(contentsOf: cert, encoding: .utf8),
            privateKeyPEM: try String(contentsOf: key, encoding: .utf8))
    }

    /// Server side: this certificate and key.
    public func serverTLSConfiguration() throws -> TLSConfiguration {
        let certificate = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
    }

    /// Client side: full verification, trusting only this certificate.
    public func clientTLSConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)])
        return configuration
    }

    public enum CertificateError: Error, Sendable {
        case opensslFailed(String)
    }
}
