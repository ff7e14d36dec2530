import Foundation
import Nostr
import Transport

/// A `RelayInformationFetching` that answers from a table (a relay missing from it has no
/// NIP-11 document) and counts the fetches.
public final class StaticRelayInformation: RelayInformationFetching, @unchecked Sendable {
    private let lock = NSLock()
    private var documents: [RelayURL: RemoteRelayInformation]
    private var fetches: [RelayURL: Int] = [:]

    public init(_ documents: [RelayURL: RemoteRelayInformation] = [:]) {
        self.documents = documents
    }

    /// Sets (or with nil removes) `relay`'s document.
    public func set(_ relay: RelayURL, _ document: RemoteRelayInformation?) {
        lock.withLock { documents[relay] = document }
    }

    /// How many times `relay`'s document was asked for.
    public func fetchCount(_ relay: RelayURL) -> Int { lock.withLock { fetches[relay] ?? 0 } }

    public func information(for relay: RelayURL) async throws(TransportError) -> RemoteRelayInformation {
        let document: RemoteRelayInformation? = lock.withLock {
            fetches[relay, default: 0] += 1
            return documents[relay]
        }
        guard let document else { throw .relayInformationUnavailable(status: 404, reason: "no NIP-11 document for \(relay)") }
        return document
    }

    /// A GRASP server's document (GRASP-01 and GRASP-02, NIP-77).
    public static let graspServer = RemoteRelayInformation(supportedNIPs: [1, 11, 34, 77], supportedGRASPs: ["GRASP-01", "GRASP-02"])
    /// A general relay's document (NIP-77, no GRASP).
    public static let generalRelay = RemoteRelayInformation(supportedNIPs: [1, 11, 77])
}
