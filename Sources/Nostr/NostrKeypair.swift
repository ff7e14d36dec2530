/// A secp256k1 key pair for signing events (tests, benchmarks and tooling).
public struct NostrKeypair: Sendable, Hashable {
    /// 32-byte secret key.
    public let secretKey: [UInt8]
    /// Lowercase hex x-only public key.
    public let publicKey: String

    /// Derives the public key; nil for an invalid secret key.
    public init?(secretKey: [UInt8]) {
        guard let pk = Schnorr.publicKey(secretKey: secretKey) else { return nil }
        self.secretKey = secretKey
        self.publicKey = Hex.encode(pk)
    }

    /// Derives the pair from a hex secret key.
    public init?(secretKeyHex: String) {
        guard let bytes = Hex.decode(secretKeyHex) else { return nil }
        self.init(secretKey: bytes)
    }

    /// A fresh random key pair.
    public static func generate() -> NostrKeypair {
        while true {
            let sk = (0..<32).map { _ in UInt8.random(in: 0...255) }
            if let pair = NostrKeypair(secretKey: sk) { return pair }
        }
    }

    /// Signs a new event with this key.
    public func sign(kind: Int, tags: [[String]] = [], content: String = "", createdAt: Int64, auxRand: [UInt8]? = nil) -> NostrEvent {
        let serial = NostrEvent.canonicalSerialization(pubkey: publicKey, createdAt: createdAt, kind: kind, tags: tags, content: content)
        let digest = SHA256Digest.hash(serial)
        // A valid key pair always signs; a malformed auxRand falls back to fresh randomness.
        let sig = Schnorr.sign(message: digest, secretKey: secretKey, auxRand: auxRand?.count == 32 ? auxRand : nil)!
        return NostrEvent(id: Hex.encode(digest), pubkey: publicKey, createdAt: createdAt, kind: kind, tags: tags, content: content, sig: Hex.encode(sig))
    }
}
