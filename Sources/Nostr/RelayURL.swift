/// A normalised WebSocket relay URL: scheme `ws`/`wss`, lowercase host, no default port, no
/// trailing slash, no fragment. Two spellings of one relay compare equal after normalisation
/// (decisions: One spelling per relay, Never dial yourself), so it is used as the key of every
/// relay index and metric label.
public struct RelayURL: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `ws` or `wss`.
    public let scheme: String
    /// Lowercase host name or IP literal (IPv6 without brackets).
    public let host: String
    /// Explicit port, nil when it is the scheme's default.
    public let port: Int?
    /// Path without trailing slash ("" for the root), query kept.
    public let pathAndQuery: String

    /// Parses and normalises. A string without scheme gets `wss://` (decisions: Relays from announcements).
    /// Returns nil for other schemes, user info, an empty host or a bad port.
    public init?(_ raw: String) {
        var text = Substring(raw.trimmingSpaces)
        // "\r\n" is one Character in Swift, so it needs its own case.
        while let last = text.last, last == " " || last == "\n" || last == "\t" || last == "\r" || last == "\r\n" { text = text.dropLast() }
        var scheme = "wss"
        if let range = text.range(of: "://") {
            scheme = text[..<range.lowerBound].lowercased()
            text = text[range.upperBound...]
        }
        guard scheme == "ws" || scheme == "wss" else { return nil }
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        let authorityEnd = text.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
        let authority = text[..<authorityEnd]
        var rest = String(text[authorityEnd...])
        guard !authority.contains("@") else { return nil }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = authority.firstIndex(of: ":") {
            // An unbracketed host cannot hold a colon (IPv6 literals need brackets).
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        while host.hasSuffix(".") { host = host.dropLast() }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        var port: Int?
        if let portText {
            guard portText.allSatisfy({ $0 >= "0" && $0 <= "9" }), let p = Int(portText), (1...65535).contains(p) else { return nil }
            port = p
        }
        if (scheme == "ws" && port == 80) || (scheme == "wss" && port == 443) { port = nil }
        // Drop trailing slashes of the path (before any query).
        if let q = rest.firstIndex(of: "?") {
            var path = String(rest[..<q])
            while path.hasSuffix("/") { path.removeLast() }
            rest = path + String(rest[q...])
        } else {
            while rest.hasSuffix("/") { rest.removeLast() }
        }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
        self.pathAndQuery = rest
    }

    /// The port to dial (explicit or the scheme's default).
    public var effectivePort: Int { port ?? (scheme == "wss" ? 443 : 80) }

    /// Whether the connection uses TLS.
    public var isSecure: Bool { scheme == "wss" }

    /// The normalised text form.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(port.map { ":\($0)" } ?? "")\(pathAndQuery)"
    }

    public static func < (lhs: RelayURL, rhs: RelayURL) -> Bool { lhs.description < rhs.description }

    /// The relay URL a git clone URL implies: `https://h[:p]/…` -> `wss://h[:p]`,
    /// `http://h[:p]/…` -> `ws://h[:p]`; other schemes give nil (decisions: Relays from
    /// announcements).
    public static func fromCloneURL(_ clone: String) -> RelayURL? {
        let trimmed = clone.trimmingSpaces
        let lower = trimmed.lowercased()
        let rest: Substring
        let scheme: String
        if lower.hasPrefix("https://") {
            scheme = "wss"
            rest = Substring(trimmed).dropFirst(8)
        } else if lower.hasPrefix("http://") {
            scheme = "ws"
            rest = Substring(trimmed).dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        return RelayURL("\(scheme)://\(rest[..<authorityEnd])")
    }
}
