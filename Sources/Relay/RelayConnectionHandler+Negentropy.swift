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
        negentropySessions[id] = .opening(generation: negentropyGeneration, lastActivity: relay.clock.now())
        relay.observer?.negentropySessionOpened()
        return [.prepareNegentropy(subscriptionID: id, generation: negentropyGeneration, filter: filter, initialMessage: initial)]
    }

    /// The background preparation of a NEG-OPEN finished: the session opens with its first
    /// reply, or ends with a NEG-ERR.
    func negentropyOpened(subscriptionID id: String, generation: Int, opening: NegentropyOpening) -> [RelayConnectionAction] {
        // A NEG-CLOSE or a newer NEG-OPEN with the same id may have overtaken this one.
        guard case .opening(let current, _)? = negentropySessions[id], current == generation else { return [] }
        switch opening {
        case .open(let engine, let reservation, let reply):
            negentropySessions[id] = .open(engine, reservation, lastActivity: relay.clock.now())
            return [.send(.negMsg(subscriptionID: id, message: Hex.encode(reply)))]
        case .budgetExhausted(let inUse):
            dropNegentropy(id)
            let reason = MachineReadablePrefix.rateLimited.message(
                "node-wide negentropy budget in use (\(inUse) of \(relay.negentropyBudget.capacity) items), try again later")
            return [.send(.negErr(subscriptionID: id, reason: reason, maxRecords: nil))]
        case .tooMany(let limit):
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.blocked.message("too many query results"), maxRecords: limit))]
        case .storeFailed(let error):
            logStoreError(error, "listing NEG-OPEN \(id)")
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.error.message("could not list events"), maxRecords: nil))]
        case .invalid(let why):
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message(why), maxRecords: nil))]
        }
    }

    func continueNegentropy(_ id: String, message: String) -> [RelayConnectionAction] {
        guard let state = negentropySessions[id] else {
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.closed.message("unknown subscription handle"), maxRecords: nil))]
        }
        guard case .open(var engine, let reservation, _) = state else {
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("NEG-MSG before NEG-OPEN completed"), maxRecords: nil))]
        }
        guard let bytes = Hex.decode(message) else {
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("message is not hex"), maxRecords: nil))]
        }
        do {
            let reply = try engine.reconcile(bytes)
            negentropySessions[id] = .open(engine, reservation, lastActivity: relay.clock.now())
            return [.send(.negMsg(subscriptionID: id, message: Hex.encode(reply)))]
        } catch {
            dropNegentropy(id)
            return [.send(.negErr(subscriptionID: id, reason: MachineReadablePrefix.invalid.message("\(error)"), maxRecords: nil))]
        }
    }

    func dropNegentropy(_ id: String) {
        if negentropySessions.removeValue(forKey: id) != nil { relay.observer?.negentropySessionClosed() }
    }

    /// Idle sessions are dropped (run on every input and on the connection's timer tick):
    /// the client is told with `NEG-ERR "closed: ..."`, and a later NEG-MSG gets `closed:` too.
    func expireIdleNegentropySessions() -> [RelayConnectionAction] {
        guard !negentropySessions.isEmpty else { return [] }
        let now = relay.clock.now()
        var actions: [RelayConnectionAction] = []
        for (id, state) in negentropySessions where now - state.lastActivity > relay.negentropyIdleTimeout {
            dropNegentropy(id)
            let reason = MachineReadablePrefix.closed.message("session idle for more than \(Int(relay.negentropyIdleTimeout)) seconds")
            actions.append(.send(.negErr(subscriptionID: id, reason: reason, maxRecords: nil)))
        }
        return actions
    }
}
