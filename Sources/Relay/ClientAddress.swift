/// Which IP a client counts as for the per-IP limits.
public enum ClientAddress {
    /// Longest header value taken as an address (anything longer is not one).
    static let maxLength = 64

    /// The client IP: when `trustedHeader` is configured and the request carries it, the
    /// last entry of its last value (a proxy appends the address it saw to
    /// `X-Forwarded-For`, so earlier entries are whatever the client sent); otherwise the
    /// socket peer's address. Without a configured header, headers are never read, so a
    /// client cannot choose its own IP. "unknown" when there is neither.
    public static func resolve(peerIP: String?, headerValues: [String], trustedHeader: String?) -> String {
        if trustedHeader != nil, let last = headerValues.last {
            let entry = last.split(separator: ",").last.map { $0.trimmingCharacters(in: " \t") } ?? ""
            let address = entry.hasPrefix("[") && entry.hasSuffix("]") ? String(entry.dropFirst().dropLast()) : entry
            if !address.isEmpty, address.utf8.count <= maxLength { return address.lowercased() }
        }
        return peerIP ?? "unknown"
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
