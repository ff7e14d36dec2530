import Foundation
import NIOCore
import NIOPosix
import Nostr
#if canImport(Glibc)
import Glibc
#endif

/// The SSRF guard: relay URLs come from untrusted announcements, so by default the node
/// refuses to dial loopback, private, link-local, multicast, unspecified and other
/// non-public addresses. A host name is checked on every address it resolves to (one
/// lookup through `resolver`), and the WebSocket transport then dials exactly the checked
/// addresses, never the name: a rebinding DNS server whose next answer is private gets no
/// second question. The URL's host is still used for SNI, certificate checks and `Host`.
///
/// Opting in: `allowPrivate` (`--allow-private-relays`) allows every address;
/// `allowedHosts` lists host names or IP literals allowed even when non-public (matched
/// against the URL's host, and IP literals also against the resolved addresses).
public struct AddressPolicy: Sendable {
    /// Allow every address class (tests, private deployments).
    public var allowPrivate: Bool
    /// Hosts (names or IP literals) allowed even when private. Names compare
    /// case-insensitively; IP literals compare as addresses (`::1` equals `0:0::1`).
    public var allowedHosts: Set<String> {
        didSet { allowedAddresses = Self.addresses(in: allowedHosts) }
    }
    private var allowedAddresses: Set<ResolvedAddress>
    /// Resolves host names for `vet` (the system resolver unless a test injects a double).
    public var resolver: any HostResolver

    public init(allowPrivate: Bool = false, allowedHosts: Set<String> = [], resolver: any HostResolver = SystemHostResolver()) {
        self.allowPrivate = allowPrivate
        self.resolver = resolver
        self.allowedHosts = Set(allowedHosts.map { Self.normalisedHost($0) })
        self.allowedAddresses = Self.addresses(in: allowedHosts)
    }

    /// Throws `.addressNotAllowed` (or `.dnsFailure`) unless `url` may be dialled. Blocks
    /// the calling thread while a host name resolves; `vet` resolves off the caller's thread.
    public func check(_ url: RelayURL) throws(TransportError) {
        if allowPrivate || isAllowedHost(url.host) { return }
        try checkAddresses(Self.resolve(url.host), host: url.host)
    }

    /// Checks `url` like `check` and returns the addresses to dial: nil when the URL is
    /// allowed without looking at addresses (`allowPrivate` or a listed host; the caller
    /// then dials the host name), else every address the host has (all of them public or
    /// listed), in resolver order. Resolves through `resolver`, exactly once.
    public func vet(_ url: RelayURL) async throws(TransportError) -> [ResolvedAddress]? {
        if allowPrivate || isAllowedHost(url.host) { return nil }
        let host = url.host
        let addresses: [ResolvedAddress]
        if let literal = Self.parseIPv4(host) ?? Self.parseIPv6(host) {
            addresses = [literal]
        } else {
            addresses = try await resolver.resolve(host)
            if addresses.isEmpty { throw .dnsFailure("no addresses for \(host)") }
        }
        try checkAddresses(addresses, host: host)
        return addresses
    }

    private func isAllowedHost(_ host: String) -> Bool {
        if allowedHosts.contains(Self.normalisedHost(host)) { return true }
        if let literal = Self.parseIPv4(host) ?? Self.parseIPv6(host) { return allowedAddresses.contains(literal) }
        return false
    }

    private func checkAddresses(_ addresses: [ResolvedAddress], host: String) throws(TransportError) {
        for address in addresses where !Self.isPublic(address) && !allowedAddresses.contains(address) {
            throw .addressNotAllowed("\(host) resolves to \(address), a non-public address (see --allow-private-relays)")
        }
    }

    private static func normalisedHost(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        while h.hasSuffix(".") { h.removeLast() }
        return h
    }

    private static func addresses(in hosts: Set<String>) -> Set<ResolvedAddress> {
        Set(hosts.compactMap { h in
            let n = normalisedHost(h)
            return parseIPv4(n) ?? parseIPv6(n)
        })
    }

    /// A resolved address as raw bytes (4 for IPv4, 16 for IPv6) with its text form.
    public struct ResolvedAddress: Sendable, Hashable, CustomStringConvertible {
        public let bytes: [UInt8]

        public init(bytes: [UInt8]) { self.bytes = bytes }

        /// A NIO socket address for this IP and `port`.
        func socketAddress(port: Int) throws -> SocketAddress {
            try SocketAddress(ipAddress: description, port: port)
        }
        public var description: String {
            if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
        }
    }

    /// Resolves a host (IP literals parse without DNS); blocks while resolving.
    public static func resolve(_ host: String) throws(TransportError) -> [ResolvedAddress] {
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
        var seen = Set<ResolvedAddress>()
        return out.filter { seen.insert($0).inserted }
    }

    public static func parseIPv4(_ s: String) -> ResolvedAddress? {
        var addr = in_addr()
        guard inet_pton(AF_INET, s, &addr) == 1 else { return nil }
        return ResolvedAddress(bytes: withUnsafeBytes(of: addr) { Array($0) })
    }

    public static func parseIPv6(_ s: String) -> ResolvedAddress? {
        var addr = in6_addr()
        guard inet_pton(AF_INET6, s, &addr) == 1 else { return nil }
        return ResolvedAddress(bytes: withUnsafeBytes(of: addr) { Array($0) })
    }

    /// Whether an address is a public unicast address (not loopback, private, shared,
    /// link-local, multicast, unspecified, reserved or documentation; IPv4 embedded in
    /// IPv6 by mapping, compatibility or NAT64 is judged as the IPv4 address).
    public static func isPublic(_ address: ResolvedAddress) -> Bool {
        let b = address.bytes
        if b.count == 4 { return isPublicIPv4(b) }
        guard b.count == 16 else { return false }
        if b[0..<12].allSatisfy({ $0 == 0 }) {                                         // ::/96: ::, ::1, ::a.b.c.d
            if b[12..<15].allSatisfy({ $0 == 0 }) && b[15] <= 1 { return false }       // :: and ::1
            return isPublicIPv4(Array(b[12..<16]))
        }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {       // ::ffff:a.b.c.d
            return isPublicIPv4(Array(b[12..<16]))
        }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b                // 64:ff9b::/96 NAT64
            && b[4..<12].allSatisfy({ $0 == 0 }) {
            return isPublicIPv4(Array(b[12..<16]))
        }
        if b[0] == 0xff { return false }                                               // multicast ff00::/8
        if b[0] == 0xfe && (b[1] & 0xc0) == 0x80 { return false }                      // link-local fe80::/10
        if b[0] == 0xfe && (b[1] & 0xc0) == 0xc0 { return false }                      // site-local fec0::/10 (deprecated)
        if (b[0] & 0xfe) == 0xfc { return false }                                      // unique local fc00::/7
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { return false } // documentation 2001:db8::/32
        if b[0] == 0x01 && b[1] == 0x00 && b[2..<8].allSatisfy({ $0 == 0 }) { return false } // discard 100::/64
        return true
    }

    static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return false                        // "this network" / unspecified
        case (10, _, _): return false                       // private
        case (127, _, _): return false                      // loopback
        case (169, 254, _): return false                    // link-local
        case (172, 16...31, _): return false                // private
        case (192, 168, _): return false                    // private
        case (100, 64...127, _): return false               // carrier-grade NAT (shared)
        case (192, 0, 0), (192, 0, 2): return false         // IETF protocol assignments, TEST-NET-1
        case (198, 18...19, _): return false                // benchmarking
        case (198, 51, 100), (203, 0, 113): return false    // TEST-NET-2, TEST-NET-3
        case (224...239, _, _): return false                // multicast
        case (240...255, _, _): return false                // reserved and broadcast
        default: return true
        }
    }
}
