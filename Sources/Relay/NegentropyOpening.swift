import Nostr
import Reconcile
import Store

/// The outcome of preparing a served NIP-77 session: list the store's items for the
/// NEG-OPEN filter, build the sealed item set and answer the client's initial message. It is
/// computed off the connection loop (listing and fingerprinting cost milliseconds for large
/// filters, and several sessions may be opening at once), then handed back to the handler.
enum NegentropyOpening: Sendable {
    /// The session is open: the engine and the first reply.
    case open(Negentropy, reply: [UInt8])
    /// The store holds more items than the relay serves for one session.
    case tooMany(limit: Int)
    /// The store could not be read (the error, for the log).
    case storeFailed(StoreError)
    /// The client's message or the items were not acceptable to the engine.
    case invalid(String)

    /// Lists, builds and reconciles the first round.
    static func prepare(store: any EventStore, filter: Filter, initialMessage: [UInt8], limits: RelayLimits) -> NegentropyOpening {
        let listing: StoredIDListing
        do {
            listing = try store.idListing(for: filter, maxItems: limits.maxNegentropyItems, ordered: false)
        } catch {
            return .storeFailed(error)
        }
        switch listing {
        case .tooMany(let limit):
            return .tooMany(limit: limit)
        case .items(let list):
            do {
                let storage = try NegentropyStorage(sealingTimestamps: list.timestamps, idBytes: list.idBytes)
                var engine = try Negentropy(storage: storage, frameSizeLimit: limits.negentropyFrameSizeLimit)
                let reply = try engine.reconcile(initialMessage)
                return .open(engine, reply: reply)
            } catch {
                return .invalid("\(error)")
            }
        }
    }
}
