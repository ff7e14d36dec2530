import NIOPosix

/// The operating system's resolver (`getaddrinfo`), run on NIO's blocking thread pool so
/// a slow DNS server does not hold a cooperative thread.
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func resolve(_ host: String) async throws(TransportError) -> [AddressPolicy.ResolvedAddress] {
        do {
            return try await NIOThreadPool.singleton.runIfActive { try Self.resolveUntyped(host) }
        } catch let error as TransportError {
            throw error
        } catch {
            throw .dnsFailure("cannot resolve \(host): \(error)")
        }
    }

    private static func resolveUntyped(_ host: String) throws -> [AddressPolicy.ResolvedAddress] {
        try AddressPolicy.resolve(host)
    }
}
