import Foundation
import Nostr
#if canImport(Glibc)
import Glibc
#endif

/// The SSRF guard: relay URLs come from untrusted announcements, so by default the node
/// refuses to dial loopback, private, link-local, multicast and unspecified addresses
/// (checked on every address the host name resolves to).
public struct AddressPolicy: Sendable {
    /// Allow every address class (tests, private deployments).
    public var allowPrivate: Bool
    /// Hosts (names or IP literals, lowercase) allowed even when private.
    public var allowedHosts: Set<String>

    public init(allowPrivate: Bool = false, allowedHosts: Set<String> = []) {
        self.allowPrivate = allowPrivate
        self.allowedHosts = allowedHosts
    }

    /// Throws `.addressNotAllowed` (or `.dnsFailure`) unless `url` may be dialled.
    public func check(_ url: RelayURL) throws(TransportError) {
        if allowPrivate || allowedHosts.contains(url.host) { return }
        let addresses = try Self.resolve(url.host)
        for address in addresses where !Self.isPublic(address) {
            throw .addressNotAllowed("\(url.host) resolves to \(address), a non-public address")
        }
    }

    /// A resolved address as raw bytes (4 for IPv4, 16 for IPv6) with its text form.
    public struct ResolvedAddress: Sendable, Equatable, CustomStringConvertible {
        public let bytes: [UInt8]
        public var description: String {
            if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
        }
    }

    /// Resolves a host (IP literals parse without DNS).
    static func resolve(_ host: String) throws(TransportError) -> [ResolvedAddress] {
        if let v4 = parseIPv4(host) { return [v4] }
        if let v6 = parseIPv6(host) { return [v6] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else { throw .dnsFailure("cannot resolve \(host)") }
        defer { freeaddrinfo(result) }
        var out: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if info.pointee.ai_family == AF_INET, let sa = info.pointee.ai_addr {
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    let raw = sin.pointee.sin_addr.s_addr  // network byte order
                    out.append(ResolvedAddress(bytes: withUnsafeBytes(of: raw) { Array($0) }))
                }
            } else if info.pointee.ai_family == AF_INET6, let sa = info.pointee.ai_addr {
                sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    out.append(ResolvedAddress(bytes: withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) }))
                }
            }
            cursor = info.pointee.ai_next
        }
        if out.isEmpty { throw .dnsFailure("no addresses for \(host)") }
        return out
    }

    static func parseIPv4(_ s: String) -> ResolvedAddress? {
        var addr = in_addr()
        guard inet_pton(AF_INET, s, &addr) == 1 else { return nil }
        return ResolvedAddress(bytes: withUnsafeBytes(of: addr) { Array($0) })
    }

    static func parseIPv6(_ s: String) -> ResolvedAddress? {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
        return ResolvedAddress(bytes: withUnsafeBytes(of: addr) { Array($0) })
    }

    /// Whether an address is a public unicast address.
    public static func isPublic(_ address: ResolvedAddress) -> Bool {
        let b = address.bytes
        if b.count == 4 { return isPublicIPv4(b) }
        guard b.count == 16 else { return false }
        if b.allSatisfy({ $0 == 0 }) { return false }                                  // ::
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return false }            // ::1
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {       // ::ffff:a.b.c.d
            return isPublicIPv4(Array(b[12..<16]))
        }
        if b[0] == 0xff { return false }                                               // multicast
        if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { return false }                      // link-local fe80::/10
        if (b[0] & 0xfe) == 0xfc { return false }                                      // unique local fc00::/7
        return true
    }

    static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _): return false                           // "this network" / unspecified
        case (10, _): return false                          // private
        case (127, _): return false                         // loopback
        case (169, 254): return false                       // link-local
        case (172, 16...31): return false                   // private
        case (192, 168): return false                       // private
        case (100, 64...127): return false                  // carrier-grade NAT
        case (224...239, _): return false                   // multicast
        case (240...255, _): return false                   // reserved and broadcast
        default: return true
        }
    }
}
