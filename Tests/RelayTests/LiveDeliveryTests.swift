import Foundation
import Nostr
@testable import Relay
import Store
import Testing

/// Live delivery never repeats a stored result: an event published before a REQ was read
/// (still queued on the connection's live feed when the REQ is handled) is sent once, with
/// the stored results, not again from the feed (seen in the publish+query benchmark beside a
/// bulk publisher: 10 of 195 probes got their event twice).
@Suite struct LiveDeliveryTests {
    static let key = NostrKeypair(secretKey: [UInt8](repeating: 0, count: 31) + [9])!

    static func note(_ n: Int) -> NostrEvent { key.sign(kind: 1, content: "note \(n)", createdAt: 1_700_000_000 + Int64(n)) }

    static func liveText(_ id: String, _ event: NostrEvent) -> RelayConnectionAction {
        .sendText(RelayMessage.eventPrefix(subscriptionID: id) + event.jsonText + "]")
    }

    @Test func anEventPublishedBeforeTheREQIsNotSentAgainFromTheLiveFeed() throws {
        let store = try SQLiteEventStore()
        let relay = NostrRelay(ingestor: EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: []))))
        let handler = RelayConnectionHandler(relay: relay, liveFeedStart: store.publishedEventCount)
        // Published after the feed started, before the REQ: feed event number 1.
        let early = Self.note(1)
        #expect(try store.insert(early) == .saved)
        let opened = handler.handle(.text(#"["REQ","s",{"kinds":[1]}]"#))
        guard case .sendStored(let id, _)? = opened.first, id == "s" else {
            Issue.record("REQ did not answer with its stored events: \(opened)")
            return
        }
        // The feed now hands the early event over: already among the stored results.
        #expect(handler.handle(.live(early)).isEmpty)
        // Published after the REQ: delivered live.
        let late = Self.note(2)
        #expect(try store.insert(late) == .saved)
        #expect(handler.handle(.live(late)) == [Self.liveText("s", late)])
    }

    @Test func aSubscriptionOpenedLaterSkipsOnlyWhatWasPublishedBeforeIt() throws {
        let store = try SQLiteEventStore()
        let relay = NostrRelay(ingestor: EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: []))))
        let handler = RelayConnectionHandler(relay: relay, liveFeedStart: store.publishedEventCount)
        _ = handler.handle(.text(#"["REQ","a",{"kinds":[1]}]"#))
        let first = Self.note(1)
        #expect(try store.insert(first) == .saved)
        _ = handler.handle(.text(#"["REQ","b",{"kinds":[1]}]"#))
        // `a` was open before `first` was published: live for `a`; `b` read it as stored.
        #expect(handler.handle(.live(first)) == [Self.liveText("a", first)])
        let second = Self.note(2)
        #expect(try store.insert(second) == .saved)
        let delivered = handler.handle(.live(second))
        #expect(Set(delivered.map { "\($0)" }) == Set([Self.liveText("a", second), Self.liveText("b", second)].map { "\($0)" }))
        // Replacing `b` (same id) moves its start: `second` is stored for it now.
        _ = handler.handle(.text(#"["REQ","b",{"kinds":[1]}]"#))
        let third = Self.note(3)
        #expect(try store.insert(third) == .saved)
        #expect(handler.handle(.live(third)).count == 2)
    }
}
