import Nostr

/// A relay session's live REQs and CLOSEs, sent in the order the scheduler decided them:
/// the scheduler yields each live-set change's messages on the outbox's stream and one
/// writer task per session sends them, so a change never overtakes an earlier one (as
/// separately spawned sends could: a consolidation's CLOSEs racing the REQs before it).
final class RelayOutbox: Sendable {
    private enum Entry: Sendable {
        case messages([ClientMessage])
        /// Resumed once everything queued before it was sent.
        case marker(CheckedContinuation<Void, Never>)
    }

    private let input: AsyncStream<Entry>.Continuation

    /// Starts the writer for `session`; `onSent` runs after each change's messages went out
    /// (or failed to: a closed session fails every send at once).
    init(session: any RelayLinkSession, onSent: @escaping @Sendable () async -> Void) {
        let (entries, input) = AsyncStream.makeStream(of: Entry.self, bufferingPolicy: .unbounded)
        self.input = input
        // Not cancelled, only finished: it drains what is queued, so every marker is resumed
        // and every change reported sent.
        Task {
            for await entry in entries {
                switch entry {
                case .messages(let messages):
                    for message in messages { try? await session.send(message) }
                    await onSent()
                case .marker(let waiter):
                    waiter.resume()
                }
            }
        }
    }

    deinit {
        input.finish()
    }

    /// Queues one change's messages; false when the outbox is finished (nothing is sent).
    func enqueue(_ messages: [ClientMessage]) -> Bool {
        if case .terminated = input.yield(.messages(messages)) { return false }
        return true
    }

    /// Returns once everything queued so far has been sent (or the outbox has ended).
    func sent() async {
        await withCheckedContinuation { waiter in
            if case .terminated = input.yield(.marker(waiter)) { waiter.resume() }
        }
    }

    /// No more changes (the session ended): what is queued is still sent, then the writer ends.
    func finish() {
        input.finish()
    }
}
