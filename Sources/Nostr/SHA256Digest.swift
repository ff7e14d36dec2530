import COpenSSLCrypto

/// SHA-256 from the system libcrypto (no second BoringSSL copy for one hash).
public enum SHA256Digest {
    /// The 32-byte SHA-256 digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { buf in
            out.withUnsafeMutableBufferPointer { o in
                _ = SHA256(buf.baseAddress, buf.count, o.baseAddress)
            }
        }
        return out
    }

    /// The digest of a string's UTF-8 bytes.
    public static func hash(_ string: String) -> [UInt8] {
        var s = string
        return s.withUTF8 { buf in
            var out = [UInt8](repeating: 0, count: 32)
            out.withUnsafeMutableBufferPointer { o in
                _ = SHA256(buf.baseAddress, buf.count, o.baseAddress)
            }
            return out
        }
    }
}
