import AsyncAlgorithms
import NIOPosix
import Nostr
import Store

/// The processing loop of one client connection, independent of how bytes travel (a
/// WebSocket, or an in-process `LocalRelayConnection`).
///
/// Four producers feed one ordered channel that a single loop consumes: the client reader,
/// the live-event feed, background negentropy preparations and a timer that expires idle
/// negentropy sessions (every `negentropyExpiryInterval` seconds, while any is open). The channel's back-pressure makes
/// a client that floods the relay wait for its own answers.
enum RelayConnectionLoop {
    static func run(
        relay: NostrRelay,
        budget: ConnectionBudget? = nil,
        readClient: @escaping @Sendable (_ deliver: @Sendable (RelayConnectionInput) async -> Void) async -> Void,
        write: @escaping @Sendable (String) async throws -> Void,
        close: @escaping @Sendable (String) async -> Void
    ) async {
        relay.observer?.connectionOpened()
        defer { relay.observer?.connectionClosed() }
        let limits = relay.limits
        let inputs = AsyncChannel<RelayConnectionInput>()
        let live = relay.store.subscribe(bufferLimit: limits.maxQueuedLiveEvents)
        // Read after subscribing: a publish in between makes the start one too high, which at
        // worst lets one stored event through live as well, never skips one.
        let handler = RelayConnectionHandler(relay: relay, budget: budget, liveFeedStart: relay.store.publishedEventCount)
        defer { handler.shutdown() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await readClient { await inputs.send($0) }
                inputs.finish()
            }
            group.addTask {
                for await event in live { await inputs.send(.live(event)) }
                if !Task.isCancelled { await inputs.send(.liveOverflow) }
            }
            let interval = relay.negentropyExpiryInterval
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval.secondsDuration)
                    if Task.isCancelled { break }
                    await inputs.send(.tick)
                }
            }
            let handlerBox = UncheckedHandler(handler)
            loop: for await input in inputs {
                let actions: [RelayConnectionAction]
                if case .text = input {
                    // Client messages may write (EVENT) or read (COUNT) SQLite, which blocks
                    // its thread: off the cooperative pool (two threads on two cores), so one
                    // connection waiting for the writer cannot stall every other connection.
                    actions = await StoreThreads.run { handlerBox.handler.handle(input) }
                } else {
                    actions = handler.handle(input)
                }
                for action in actions {
                    switch action {
                    case .send(let message):
                        do { try await write(message.jsonText) } catch { break loop }
                    case .sendText(let text):
                        do { try await write(text) } catch { break loop }
                    case .sendStored(let id, let cursor):
                        do {
                            try await sendStored(subscriptionID: id, cursor: cursor, store: relay.store, handler: handler, write: write)
                        } catch {
                            break loop
                        }
                    case .prepareNegentropy(let id, let generation, let filter, let initial):
                        let store = relay.store
                        group.addTask {
                            let opening = await StoreThreads.run {
                                NegentropyOpening.prepare(store: store, filter: filter, initialMessage: initial, limits: limits,
                                                          budget: relay.negentropyBudget)
                            }
                            await inputs.send(.negentropyOpened(subscriptionID: id, generation: generation, opening))
                        }
                    case .close(let reason):
                        await close(reason)
                        break loop
                    }
                }
            }
            group.cancelAll()
            inputs.finish()
        }
    }

    /// Stored events read per page of a REQ: a few hundred rows, written before the next read.
    static let storedEventsPageSize = 256

    /// Writes a REQ's stored events as `["EVENT",<sub>,<stored json>]` (the subscription id
    /// escaped once), a page at a time: the next page is read only when the writer took the
    /// previous one (the WebSocket writer waits while the socket is not writable), so a slow
    /// client holds one page in memory and no read transaction. Then EOSE, or CLOSED if the
    /// store fails. Throws only when writing to the client failed.
    static func sendStored(subscriptionID id: String, cursor: StoredEventCursor, store: any EventStore, handler: RelayConnectionHandler,
                           write: @Sendable (String) async throws -> Void) async throws {
        var cursor = cursor
        let prefix = RelayMessage.eventPrefix(subscriptionID: id)
        while !cursor.isFinished {
            let page: [String]
            do {
                let current = cursor
                let read = try await StoreThreads.run { () throws(StoreError) -> ([String], StoredEventCursor) in
                    var next = current
                    let rows = try store.readStoredEvents(&next, maxEvents: storedEventsPageSize)
                    return (rows, next)
                }
                page = read.0
                cursor = read.1
            } catch {
                try await write(handler.storedEventsFailed(subscriptionID: id, error: error).jsonText)
                return
            }
            var pageBytes = 0
            for json in page {
                pageBytes += json.utf8.count
                try await write(prefix + json + "]")
            }
            HeapTrim.noteTransientBytes(pageBytes)
        }
        try await write(RelayMessage.eose(subscriptionID: id).jsonText)
    }
}

/// The handler crosses to a store thread and back, one input at a time (the loop awaits
/// each), so it is never used from two threads at once.
private struct UncheckedHandler: @unchecked Sendable {
    let handler: RelayConnectionHandler
    init(_ handler: RelayConnectionHandler) { self.handler = handler }
}
