import CSecp256k1

/// BIP-340 Schnorr signatures over secp256k1, through Debian's libsecp256k1.
public enum Schnorr {
    /// One process-wide context. Verify, sign and keypair creation take a const context, so
    /// sharing it across threads is safe; only the randomisation at creation mutates it.
    /// `OpaquePointer` is not Sendable, hence `nonisolated(unsafe)`.
    nonisolated(unsafe) static let context: OpaquePointer = {
        let ctx = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
        var seed = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 { seed[i] = UInt8.random(in: 0...255) }
        _ = secp256k1_context_randomize(ctx, seed)
        return ctx
    }()

    /// Verifies a 64-byte signature of a 32-byte message under a 32-byte x-only public key.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, publicKey.count == 32, message.count == 32 else { return false }
        var key = secp256k1_xonly_pubkey()
        guard secp256k1_xonly_pubkey_parse(context, &key, publicKey) == 1 else { return false }
        return secp256k1_schnorrsig_verify(context, signature, message, message.count, &key) == 1
    }

    /// The x-only public key of a 32-byte secret key, or nil for an invalid key.
    public static func publicKey(secretKey: [UInt8]) -> [UInt8]? {
        guard secretKey.count == 32 else { return nil }
        var pair = secp256k1_keypair()
        guard secp256k1_keypair_create(context, &pair, secretKey) == 1 else { return nil }
        var xonly = secp256k1_xonly_pubkey()
        guard secp256k1_keypair_xonly_pub(context, &xonly, nil, &pair) == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        guard secp256k1_xonly_pubkey_serialize(context, &out, &xonly) == 1 else { return nil }
        return out
    }

    /// Signs a 32-byte message. `auxRand` nil draws 32 fresh random bytes (BIP-340 recommends it).
    public static func sign(message: [UInt8], secretKey: [UInt8], auxRand: [UInt8]? = nil) -> [UInt8]? {
        guard message.count == 32, secretKey.count == 32 else { return nil }
        var pair = secp256k1_keypair()
        guard secp256k1_keypair_create(context, &pair, secretKey) == 1 else { return nil }
        let aux = auxRand ?? (0..<32).map { _ in UInt8.random(in: 0...255) }
        guard aux.count == 32 else { return nil }
        var sig = [UInt8](repeating: 0, count: 64)
        guard secp256k1_schnorrsig_sign32(context, &sig, message, &pair, aux) == 1 else { return nil }
        return sig
    }
}
