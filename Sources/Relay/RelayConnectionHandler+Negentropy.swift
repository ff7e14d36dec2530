import Nostr
import Reconcile
import Store

/// NIP-77 server side: NEG-OPEN lists the store's items for the filter (off the loop),
/// then each NEG-MSG is one responder round of the negentropy engine.
extension RelayConnectionHandler {
    func openNegentropy(_ id: String, filter: Filter, initialMessage: String) -> [RelayConnectionAction] {
        guard let initial = Hex.decode(initialMessage) else {
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("message is not hex"), maxRecords: nil))]
        }
        let replacing = negentropySessions.removeValue(forKey: id) != nil
        if replacing { relay.observer?.negentropySessionClosed() }
        guard negentropySessions.count < limits.maxNegentropySessions else {
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.blocked.message("too many concurrent negentropy sessions (max \(limits.maxNegentropySessions))"), maxRecords: nil))]
        }
        negentropyGeneration += 1
        negentropySessions[id] = .listing(generation: negentropyGeneration, initialMessage: initial, lastActivity: relay.clock.now())
        relay.observer?.negentropySessionOpened()
        return [.listNegentropyItems(subscriptionID: id, generation: negentropyGeneration, filter: filter)]
    }

    func negentropyListingFinished(subscriptionID id: String, generation: Int, result: Result<StoredIDListing, StoreError>) -> [RelayConnectionAction] {
        // A NEG-CLOSE or a newer NEG-OPEN with the same id may have overtaken this listing.
        guard case .listing(let current, let initial, _)? = negentropySessions[id], current == generation else { return [] }
        let listing: StoredIDListing
        switch result {
        case .success(let l): listing = l
        case .failure:
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.error.message("could not list events"), maxRecords: nil))]
        }
        switch listing {
        case .tooMany(let limit):
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.blocked.message("too many query results"), maxRecords: limit))]
        case .items(let list):
            do {
                var storage = NegentropyStorage()
                for i in 0..<list.count {
                    try storage.insert(timestamp: list.timestamps[i], id: NegentropyID(bytes: list.id(at: i))!)
                }
                try storage.seal()
                var engine = try Negentropy(storage: storage, frameSizeLimit: limits.negentropyFrameSizeLimit)
                let reply = try engine.reconcile(initial)
                negentropySessions[id] = .open(engine, lastActivity: relay.clock.now())
                return [.send(.negMsg(subscriptionID: id, message: Hex.encode(reply)))]
            } catch {
                dropNegentropy(id)
                return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("\(error)"), maxRecords: nil))]
            }
        }
    }

    func continueNegentropy(_ id: String, message: String) -> [RelayConnectionAction] {
        guard let state = negentropySessions[id] else {
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.closed.message("unknown subscription handle"), maxRecords: nil))]
        }
        guard case .open(var engine, _) = state else {
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("NEG-MSG before NEG-OPEN completed"), maxRecords: nil))]
        }
        guard let bytes = Hex.decode(message) else {
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("message is not hex"), maxRecords: nil))]
        }
        do {
            let reply = try engine.reconcile(bytes)
            negentropySessions[id] = .open(engine, lastActivity: relay.clock.now())
            return [.send(.negMsg(subscriptionID: id, message: Hex.encode(reply)))]
        } catch {
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("\(error)"), maxRecords: nil))]
        }
    }

    func dropNegentropy(_ id: String) {
        if negentropySessions.removeValue(forKey: id) != nil { relay.observer?.negentropySessionClosed() }
    }

    /// Idle sessions are dropped; a later NEG-MSG for them gets `closed:`.
    func expireIdleNegentropySessions() {
        guard !negentropySessions.isEmpty else { return }
        let now = relay.clock.now()
        for (id, state) in negentropySessions where now - state.lastActivity > relay.negentropyIdleTimeout {
            dropNegentropy(id)
        }
    }
}
