import Nostr
import Reconcile
import Store

/// The outcome of preparing a served NIP-77 session: list the store's items for the
/// NEG-OPEN filter, build the sealed item set and answer the client's initial message. It is
/// computed off the connection loop (listing and fingerprinting cost milliseconds for large
/// filters, and several sessions may be opening at once), then handed back to the handler.
enum NegentropyOpening: Sendable {
    /// The session is open: the engine, its items' share of the node-wide budget and the
    /// first reply.
    case open(Negentropy, NegentropyReservation, reply: [UInt8])
    /// The node-wide negentropy budget has no room for this listing now.
    case budgetExhausted(inUse: Int)
    /// The store holds more items than the relay serves for one session.
    case tooMany(limit: Int)
    /// The store could not be read (the error, for the log).
    case storeFailed(StoreError)
    /// The client's message or the items were not acceptable to the engine.
    case invalid(String)

    /// Lists, builds and reconciles the first round.
    /// The listing is capped by what the node-wide `budget` has left, so a full budget also
    /// bounds the memory of listings in preparation.
    static func prepare(store: any EventStore, filter: Filter, initialMessage: [UInt8], limits: RelayLimits,
                        budget: NegentropyBudget) -> NegentropyOpening {
        let cap = min(limits.maxNegentropyItems, budget.available)
        guard cap > 0 else { return .budgetExhausted(inUse: budget.inUse) }
        let listing: StoredIDListing
        do {
            listing = try store.idListing(for: filter, maxItems: cap, ordered: false)
        } catch {
            return .storeFailed(error)
        }
        switch listing {
        case .tooMany(let limit):
            return limit < limits.maxNegentropyItems ? .budgetExhausted(inUse: budget.inUse) : .tooMany(limit: limit)
        case .items(var list):
            guard let reservation = budget.reserve(list.count) else { return .budgetExhausted(inUse: budget.inUse) }
            do {
                let storage = try NegentropyStorage(sealingTimestamps: list.timestamps, idBytes: list.idBytes)
                list = StoredIDList()
                var engine = try Negentropy(storage: storage, frameSizeLimit: limits.negentropyFrameSizeLimit)
                let reply = try engine.reconcile(initialMessage)
                return .open(engine, reservation, reply: reply)
            } catch {
                return .invalid("\(error)")
            }
        }
    }
}
