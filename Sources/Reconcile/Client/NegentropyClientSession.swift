import Nostr

/// Runs NIP-77 client reconciliations over a `NegentropyLink`.
public enum NegentropyClientSession {
    /// Runs one session to its end.
    public static func run(link: some NegentropyLink, subscriptionID: String, filter: Filter, storage: NegentropyStorage,
                           frameSizeLimit: Int = 60_000, classify: @escaping @Sendable (String) -> RelayRefusal)
        async -> Result<NegentropyClientResult, NegentropyClientFailure>
    {
        var machine: NegentropyClientStateMachine
        do {
            machine = try NegentropyClientStateMachine(subscriptionID: subscriptionID, filter: filter, storage: storage,
                                                       frameSizeLimit: frameSizeLimit, classify: classify)
        } catch {
            return .failure(.protocolError(error.message))
        }
        var action = machine.start()
        while true {
            switch action {
            case .send(let message):
                do { try await link.send(message) } catch { return .failure(.disconnected) }
            case .wait:
                break
            case .finish(let close, let outcome):
                if let close { try? await link.send(close) }
                return outcome
            }
            guard let event = await link.next() else {
                action = machine.disconnected()
                continue
            }
            switch event {
            case .message(let m): action = machine.receive(m)
            case .idleTimeout: action = machine.idleTimeout()
            }
        }
    }

    /// Runs a reconciliation for `filter`. When the relay answers that the filter matches
    /// too many records (`blocked:`), the filter's time window is split in halves and each is
    /// reconciled, down to windows of one second; when it refuses the NEG-OPEN as too large,
    /// the filter's biggest value list is split in halves (reported to `onTooLarge` first, so
    /// the caller can learn the relay's limit), down to one value. `storageFor` gives the local
    /// items of a (split) filter. With `splitBlockedWindows` false a `blocked:` answer ends
    /// the run (a caller with a cheaper plan B than bisecting the whole time line).
    public static func runSplitting(
        link: some NegentropyLink, subscriptionID: String, filter: Filter, now: Int64, frameSizeLimit: Int = 60_000,
        splitBlockedWindows: Bool = true,
        classify: @escaping @Sendable (String) -> RelayRefusal,
        onTooLarge: (Filter) async -> Void = { _ in },
        storageFor: (Filter) throws -> NegentropyStorage
    ) async -> Result<NegentropyClientResult, NegentropyClientFailure> {
        var pending = [filter]
        var total = NegentropyClientResult()
        var seenHave = Set<NegentropyID>()
        var seenNeed = Set<NegentropyID>()
        var part = 0
        while let current = pending.popLast() {
            let storage: NegentropyStorage
            do { storage = try storageFor(current) } catch { return .failure(.protocolError("local items: \(error)")) }
            part += 1
            let id = part == 1 ? subscriptionID : "\(subscriptionID)-\(part)"
            switch await run(link: link, subscriptionID: id, filter: current, storage: storage, frameSizeLimit: frameSizeLimit,
                             classify: classify) {
            case .success(let r):
                for x in r.have where seenHave.insert(x).inserted { total.have.append(x) }
                for x in r.need where seenNeed.insert(x).inserted { total.need.append(x) }
                total.rounds += r.rounds
                total.bytesSent += r.bytesSent
                total.bytesReceived += r.bytesReceived
            case .failure(.blocked(let max, let reason)) where splitBlockedWindows:
                let since = current.since ?? 0
                let until = current.until ?? now
                guard until > since else { return .failure(.blocked(maxRecords: max, reason: reason)) }
                let mid = since + (until - since) / 2
                var older = current
                older.since = since
                older.until = mid
                var newer = current
                newer.since = mid + 1
                newer.until = current.until  // open-ended stays open-ended (future timestamps)
                pending.append(newer)
                pending.append(older)
            case .failure(.tooLarge(let reason)):
                await onTooLarge(current)
                guard let (first, second) = current.splitAlongLargestValueList() else { return .failure(.tooLarge(reason)) }
                pending.append(second)
                pending.append(first)
            case .failure(let f):
                return .failure(f)
            }
        }
        return .success(total)
    }
}
