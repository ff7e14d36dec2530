extension NostrEvent {
    /// Checks the hex shape of the fields, that the id is the hash of the canonical form, and
    /// that the signature is valid for the id under the pubkey.
    public func verify() throws(EventValidationError) {
        guard Hex.isLowercaseHex(id, byteCount: 32) else { throw .badHex(field: "id") }
        guard Hex.isLowercaseHex(pubkey, byteCount: 32) else { throw .badHex(field: "pubkey") }
        guard Hex.isLowercaseHex(sig, byteCount: 64) else { throw .badHex(field: "sig") }
        guard (0...65535).contains(kind) else { throw .kindOutOfRange }
        let digest = SHA256Digest.hash(canonicalSerialization)
        guard let idBytes = Hex.decode(id), idBytes == digest else { throw .idMismatch }
        guard let sigBytes = Hex.decode(sig), let pkBytes = Hex.decode(pubkey),
              Schnorr.verify(signature: sigBytes, message: digest, publicKey: pkBytes)
        else { throw .badSignature }
    }

    /// True when `verify()` passes.
    public var isValid: Bool {
        do { try verify(); return true } catch { return false }
    }
}
