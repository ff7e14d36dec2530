import Health
import Foundation
import Nostr
import Reconcile
import Testing

/// An in-process scripted relay speaking wire JSON: each client message is encoded and decoded
/// as a relay would read it, and the script's JSON replies are decoded as a transport would.
/// `sentTexts` publishes every client message text as it is sent; `deliverTimeout()` plays the
/// session driver's idle timer.
final class ScriptedJSONRelayLink: NegentropyLink, @unchecked Sendable {
    private let lock = NSLock()
    private var received: [ClientMessage] = []
    private let script: @Sendable (ClientMessage) -> [String]
    private let inbound: AsyncStream<NegentropyLinkEvent>
    private let inboundContinuation: AsyncStream<NegentropyLinkEvent>.Continuation
    let sentTexts: AsyncStream<String>
    private let sentContinuation: AsyncStream<String>.Continuation

    init(script: @escaping @Sendable (ClientMessage) -> [String]) {
        self.script = script
        (inbound, inboundContinuation) = AsyncStream<NegentropyLinkEvent>.makeStream()
        (sentTexts, sentContinuation) = AsyncStream<String>.makeStream()
    }

    /// What the relay received, decoded from the wire text.
    var receivedMessages: [ClientMessage] { lock.withLock { received } }

    func deliverTimeout() { inboundContinuation.yield(.idleTimeout) }

    func send(_ message: ClientMessage) async throws {
        let text = message.jsonText
        let decoded = try ClientMessage.decode(text)
        lock.withLock { received.append(decoded) }
        sentContinuation.yield(text)
        for reply in script(decoded) {
            inboundContinuation.yield(.message(try RelayMessage.decode(reply)))
        }
    }

    func next() async -> NegentropyLinkEvent? {
        var iterator = inbound.makeAsyncIterator()
        return await iterator.next()
    }

    /// The first text sent, with a hang guard.
    func firstSentText(deadline: Double = 10) async throws -> String {
        let stream = sentTexts
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var it = stream.makeAsyncIterator()
                return await it.next()
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(deadline * 1_000_000_000))
                throw HarnessError.timedOut("nothing sent within \(deadline) s")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let text = first else { throw HarnessError.closed }
            return text
        }
    }
}

/// Our client session against relays that refuse NIP-77 in the ways seen in the wild.
@Suite struct NegentropyClientRefusalTests {
    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        /// The relay's answer to NEG-OPEN (JSON texts).
        let replies: [String]
        let expected: NegentropyClientFailure
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "NOTICE negentropy disabled (strfry)", replies: [#"["NOTICE","ERROR: bad msg: negentropy disabled"]"#],
                expected: .unsupported("ERROR: bad msg: negentropy disabled")),
        Refusal(name: "NOTICE unknown verb (zod-based relay)", replies: [#"["NOTICE","Invalid enum value NEG-OPEN"]"#],
                expected: .unsupported("Invalid enum value NEG-OPEN")),
        Refusal(name: "NOTICE could not parse", replies: [#"["NOTICE","could not parse command"]"#],
                expected: .unsupported("could not parse command")),
        Refusal(name: "NOTICE bad message type", replies: [#"["NOTICE","bad message type"]"#],
                expected: .unsupported("bad message type")),
        Refusal(name: "chatter then refusal", replies: [#"["NOTICE","welcome!"]"#, #"["NOTICE","Command unrecognized"]"#],
                expected: .unsupported("Command unrecognized")),
        Refusal(name: "CLOSED for the session", replies: [#"["CLOSED","neg","unsupported: NEG-OPEN"]"#],
                expected: .unsupported("CLOSED: unsupported: NEG-OPEN")),
        Refusal(name: "NEG-ERR blocked with maximum", replies: [#"["NEG-ERR","neg","blocked: too many query results",1000000]"#],
                expected: .blocked(maxRecords: 1_000_000, reason: "blocked: too many query results")),
        Refusal(name: "NEG-ERR blocked without maximum", replies: [#"["NEG-ERR","neg","blocked: too many query results"]"#],
                expected: .blocked(maxRecords: nil, reason: "blocked: too many query results")),
        Refusal(name: "NEG-ERR rate-limited (nostr-sdk LocalRelay)", replies: [#"["NEG-ERR","neg","rate-limited: too many negentropy items"]"#],
                expected: .blocked(maxRecords: nil, reason: "rate-limited: too many negentropy items")),
        Refusal(name: "NEG-ERR closed", replies: [#"["NEG-ERR","neg","closed: unknown subscription handle"]"#],
                expected: .closed("closed: unknown subscription handle")),
        Refusal(name: "NEG-ERR PROTOCOL-ERROR", replies: [#"["NEG-ERR","neg","PROTOCOL-ERROR"]"#],
                expected: .relayError("PROTOCOL-ERROR")),
        Refusal(name: "NEG-ERR negentropy disabled", replies: [#"["NEG-ERR","neg","error: negentropy disabled"]"#],
                expected: .unsupported("error: negentropy disabled")),
        Refusal(name: "NOTICE unknown command (relay without NIP-77)", replies: [#"["NOTICE","ERROR: unknown command"]"#],
                expected: .unsupported("ERROR: unknown command")),
        Refusal(name: "NOTICE filter too large (strfry)",
                replies: [#"["NOTICE","ERROR: negentropy error: error parsing #q: total filter items too large"]"#],
                expected: .tooLarge("ERROR: negentropy error: error parsing #q: total filter items too large")),
        Refusal(name: "CLOSED filter too large", replies: [#"["CLOSED","neg","ERROR: bad req: error parsing #a: total filter items too large"]"#],
                expected: .tooLarge("ERROR: bad req: error parsing #a: total filter items too large")),
    ]

    @Test(arguments: refusals)
    func refusalEndsTheSessionWithItsClassification(_ refusal: Refusal) async throws {
        let link = ScriptedJSONRelayLink { message in
            if case .negOpen = message { return refusal.replies }
            return []
        }
        let outcome = await NegentropyClientSession.run(link: link, subscriptionID: "neg", filter: Filter(kinds: [1621]),
                                                        storage: try negentropyStorage(NIP34EventSets.standard.clientEvents.prefix(50).map { $0 }), classify: RefusalClassifier.classify)
        #expect(outcome == .failure(refusal.expected))
        // The relay saw one well-formed NEG-OPEN and nothing after it.
        let received = link.receivedMessages
        #expect(received.count == 1)
        guard case .negOpen("neg", let filter, let hex)? = received.first else {
            Issue.record("the relay did not receive a NEG-OPEN")
            return
        }
        #expect(filter == Filter(kinds: [1621]))
        #expect(Hex.decode(hex)?.first == 0x61)
    }

    @Test func silenceEndsInATimeoutWithANegClose() async throws {
        let link = ScriptedJSONRelayLink { _ in [] }  // never answers
        let task = Task {
            await NegentropyClientSession.run(link: link, subscriptionID: "quiet", filter: Filter(kinds: [1621]), storage: try! negentropyStorage([]), classify: RefusalClassifier.classify)
        }
        let first = try await link.firstSentText()
        #expect(first == #"["NEG-OPEN","quiet",{"kinds":[1621]},"6100000200"]"#)
        link.deliverTimeout()
        let outcome = await task.value
        #expect(outcome == .failure(.timeout))
        #expect(link.receivedMessages == [
            .negOpen(subscriptionID: "quiet", filter: Filter(kinds: [1621]), initialMessage: "6100000200"),
            .negClose(subscriptionID: "quiet"),
        ])
    }

    @Test func refusalNoticeAfterTheFirstReplyDoesNotEndTheSession() async throws {
        // The relay's first reply is one mismatching fingerprint over everything, so the client
        // must split and send another NEG-MSG; then the relay chatters a refusal-looking NOTICE
        // and finally answers with an empty id list.
        let mismatch = "61" + "0000" + "01" + String(repeating: "00", count: 16)
        let link = ScriptedJSONRelayLink { message in
            switch message {
            case .negOpen(let id, _, _): return [#"["NEG-MSG",""# + id + #"",""# + mismatch + #""]"#, #"["NOTICE","ERROR: too many concurrent REQs"]"#]
            case .negMsg(let id, _): return [#"["NEG-MSG",""# + id + #"","6100000200"]"#]
            default: return []
            }
        }
        let events = Array(NIP34EventSets.standard.clientEvents.prefix(40))
        let outcome = await NegentropyClientSession.run(link: link, subscriptionID: "p", filter: Filter(), storage: try negentropyStorage(events), classify: RefusalClassifier.classify)
        guard case .success(let result) = outcome else {
            Issue.record("expected success, got \(outcome)")
            return
        }
        #expect(Set(result.have.map(\.hex)) == Set(events.map(\.id)))
        #expect(result.need.isEmpty)
        #expect(result.rounds == 2)
        let verbs = link.receivedMessages.map { m -> String in
            switch m {
            case .negOpen: "NEG-OPEN"
            case .negMsg: "NEG-MSG"
            case .negClose: "NEG-CLOSE"
            default: "other"
            }
        }
        #expect(verbs == ["NEG-OPEN", "NEG-MSG", "NEG-CLOSE"])
    }
}
