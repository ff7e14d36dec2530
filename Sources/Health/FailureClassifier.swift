import Foundation

/// Classifies connection-error texts as persistent misconfiguration or transient trouble,
/// exactly as the reference's naughty-list classifier does (decisions: Naughty list).
///
/// The rules, applied in order:
/// 1. Lines starting (case-insensitively, after leading blanks) with `remote: warning:` or
///    `warning: remote` are dropped; git remotes print such warnings on success too. If no
///    text remains, the failure is transient.
/// 2. Every URL (`http://`, `https://`, `git://`, `ws://`, `wss://` up to the next
///    whitespace, quote, `>`, `]` or `)`) is replaced by a placeholder, so host and path
///    names such as `my-openssl-project` or `dns-tools` cannot match a keyword.
/// 3. On the lower-cased rest:
///    - DNS: any of ``dnsKeywords``;
///    - TLS: any of ``tlsKeywords``, unless it also mentions `timeout` / `timed out`
///      (a slow handshake is network trouble, not a bad certificate);
///    - protocol: `websocket` or `invalid frame`, unless it also mentions `connection`,
///      `timeout` or `refused` ("websocket connection refused" is a down relay). A bare
///      `protocol error`, as git prints for broken pipes, deliberately does not match;
///    - otherwise transient (`nil`).
public enum FailureClassifier {
    /// Keywords that mark a DNS resolution failure.
    public static let dnsKeywords = [
        "failed to lookup address", "name or service not known", "nodename nor servname provided",
        "dns error", "dns lookup", "dns resolution", "getaddrinfo",
    ]

    /// Keywords that mark a TLS certificate or handshake failure.
    public static let tlsKeywords = [
        "certificate", "ssl error", "ssl certificate", "ssl handshake", "ssl_error", "tls error",
        "tls handshake", "tls alert", "tls_error", "openssl", "schannel", "secure channel",
    ]

    /// Keywords that mark a WebSocket protocol failure.
    public static let protocolKeywords = ["websocket", "invalid frame"]

    /// The misconfiguration category of `errorText`, or `nil` when the failure looks
    /// transient.
    public static func misconfigurationCategory(of errorText: String) -> MisconfigurationCategory? {
        guard let cleaned = cleanedText(errorText) else { return nil }
        if dnsKeywords.contains(where: { cleaned.contains($0) }) {
            return .dnsLookupFailed
        }
        let mentionsTimeout = cleaned.contains("timeout") || cleaned.contains("timed out")
        if tlsKeywords.contains(where: { cleaned.contains($0) }), !mentionsTimeout {
            return .tlsCertificateInvalid
        }
        if protocolKeywords.contains(where: { cleaned.contains($0) }),
            !(cleaned.contains("connection") || mentionsTimeout || cleaned.contains("refused"))
        {
            return .protocolError
        }
        return nil
    }

    /// Steps 1 and 2: the lower-cased text without remote warnings and with URLs masked, or
    /// `nil` when nothing but warnings (or blanks) remains.
    static func cleanedText(_ errorText: String) -> String? {
        let lines = errorText.lowercased().split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        let kept = lines.filter { line in
            let trimmed = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
            return !(trimmed.hasPrefix("remote: warning:") || trimmed.hasPrefix("warning: remote"))
        }
        let joined = kept.joined(separator: "\n")
        guard joined.contains(where: { !$0.isWhitespace }) else { return nil }
        return maskingURLs(joined)
    }

    private static let urlSchemes = ["https://", "http://", "wss://", "ws://", "git://"]
    private static let urlTerminators: Set<Character> = ["\"", "'", ">", "]", ")"]

    /// Replaces every URL in the (already lower-cased) `text` by `<url>`.
    static func maskingURLs(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        var rest = Substring(text)
        while !rest.isEmpty {
            if urlSchemes.contains(where: { rest.hasPrefix($0) }) {
                result += "<url>"
                rest = rest.drop { !$0.isWhitespace && !urlTerminators.contains($0) }
            } else {
                result.append(rest.removeFirst())
            }
        }
        return result
    }
}
