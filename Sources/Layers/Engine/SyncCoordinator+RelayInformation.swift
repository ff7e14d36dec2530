import Foundation
import Nostr
import Reconcile

extension SyncCoordinator {
    /// How long a fetched NIP-11 document is trusted before it is fetched again.
    static let relayInformationLifetime: Double = 20 * 3600

    /// Fetches the relay's NIP-11 document when none was fetched yet or the last one is
    /// older than ``relayInformationLifetime``, and records whether it is a GRASP server.
    /// Returns whether it awaited (the caller re-validates its state). A failed fetch leaves
    /// what was known (a relay without a NIP-11 document is no GRASP server).
    func refreshRelayInformationIfStale(_ url: RelayURL) async -> Bool {
        guard let probe = graspServerProbe, let state = relays[url] else { return false }
        if let fetched = state.informationFetchedAt, now - fetched < Self.relayInformationLifetime { return false }
        let isGrasp: Bool
        do {
            isGrasp = try await probe(url)
        } catch {
            logger.debug("relay \(url): no NIP-11 document (\(error)); synced with item filters")
            isGrasp = false
        }
        guard var current = relays[url] else { return true }
        if current.graspServer != isGrasp {
            logger.info("relay \(url) \(isGrasp ? "is a GRASP server: re-syncs reconcile it relay-wide" : "is no GRASP server")")
            stateDirty = true
        }
        current.graspServer = isGrasp
        current.informationFetchedAt = now
        relays[url] = current
        return true
    }
}
