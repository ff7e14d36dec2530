import Foundation
import Nostr
import Testing
import Transport
import TransportTestKit

/// The relay doubles of deployed programs (`ProfiledRelayServer` with a `PeerProfile`) over
/// real sockets: one case per measured limit per profile, each checking just under the limit
/// (answered normally) and just over it (the exact refusal text, or the TCP connection
/// dropped without a close frame), plus normal REQ/EOSE and NEG-OPEN round trips.
/// Rate windows move with a `ManualClock`; nothing sleeps.
@Suite struct PeerProfileTests {
    enum LimitCase: String, CaseIterable, Sendable, CustomStringConvertible {
        case strfryMessageSize, strfryTagValueBytesInREQ, strfryTagValueBytesInNegOpen, strfryIDValueBytes
        case strfryFiltersPerREQ, strfryTagFiltersPerFilter, strfryOpenSubscriptions, strfryResultsPerFilter
        case strfryNegentropyItems, strfryUnknownNegentropySession, strfryBadNegentropyHex
        case rustNostrMessageRate, rustNostrREQRate, rustNostrNegentropyItems, rustNostrMessageSize
        case rustNostrResultsPerFilter, rustNostrClosedAfterAnsweredIDs, rustNostrUnknownNegentropySession
        case noNegentropyNegOpen, noNegentropyFiltersPerREQ, silentNoNegentropyNegOpen

        var description: String { rawValue }

        var profile: PeerProfile {
            switch self {
            case .strfryIDValueBytes:
                // 2,048 ids are 137 kB of JSON: past the message limit first. Raised so the
                // 65,535-byte rule is what refuses them.
                var p = PeerProfile.strfry
                p.maxMessageBytes = 1024 * 1024
                return p
            case .strfryNegentropyItems:
                var p = PeerProfile.strfry
                p.maxNegentropyItems = 3
                return p
            case .rustNostrNegentropyItems:
                var p = PeerProfile.rustNostr
                p.maxNegentropyItems = 3
                return p
            case .noNegentropyNegOpen, .noNegentropyFiltersPerREQ: return .noNegentropy
            case .silentNoNegentropyNegOpen: return .silentNoNegentropy
            default: return rawValue.hasPrefix("rustNostr") ? .rustNostr : .strfry
            }
        }
    }

    /// An empty negentropy v1 client message: one range to infinity in IdList mode, no ids
    /// (the responder answers with its ids).
    static let emptyNegentropyMessage = "6100000200"

    @Test(arguments: LimitCase.allCases)
    func limit(_ limitCase: LimitCase) async throws {
        let clock = ManualClock(start: Double(Fixtures.now))
        try await ProfiledRelayServer.with(profile: limitCase.profile, clock: clock) { server in
            let session = try await Self.connect(server)
            try await Self.run(limitCase, server: server, session: session, clock: clock)
            await session.close()
        }
    }

    static func run(_ limitCase: LimitCase, server: ProfiledRelayServer, session: WebSocketRelaySession, clock: ManualClock) async throws {
        switch limitCase {
        case .strfryMessageSize:
            try await session.sendRaw(paddedREQ("at", bytes: 131_072))
            #expect(try await session.next() == .eose(subscriptionID: "at"))
            try await session.sendRaw(paddedREQ("over", bytes: 131_073))
            try await expectDropped(session)
            #expect(server.refusals.map(\.rule) == [.messageTooLarge(bytes: 131_073)])
            #expect(server.bytesReceived == 131_072 + 131_073)

        case .strfryTagValueBytesInREQ:
            // 819 coordinates of 80 bytes (65,520) plus a duplicate pass; 820 (65,600) do not.
            let under = (0..<819).map(coordinate) + [coordinate(0)]
            try await session.send(.req(subscriptionID: "under", filters: [Filter(tags: ["q": under])]))
            #expect(try await session.next() == .eose(subscriptionID: "under"))
            try await session.send(.req(subscriptionID: "over", filters: [Filter(tags: ["q": (0..<820).map(coordinate)])]))
            #expect(try await session.next() == .closed(subscriptionID: "over",
                                                        message: "ERROR: bad req: error parsing #q: total filter items too large"))
            #expect(server.refusals.map(\.rule) == [.filterValuesTooLarge(field: "#q")])

        case .strfryTagValueBytesInNegOpen:
            try await session.send(.negOpen(subscriptionID: "under", filter: Filter(tags: ["q": (0..<819).map(coordinate)]),
                                            initialMessage: emptyNegentropyMessage))
            guard case .negMsg("under", _) = try await session.next() else { Issue.record("no NEG-MSG under the limit"); return }
            try await session.send(.negOpen(subscriptionID: "over", filter: Filter(tags: ["q": (0..<820).map(coordinate)]),
                                            initialMessage: emptyNegentropyMessage))
            // A NOTICE, not a NEG-ERR.
            #expect(try await session.next() == .notice("ERROR: negentropy error: error parsing #q: total filter items too large"))

        case .strfryIDValueBytes:
            let ids = (0..<2048).map { String(format: "%064x", $0) }
            try await session.send(.req(subscriptionID: "under", filters: [Filter(ids: Array(ids.prefix(2047)))]))
            #expect(try await session.next() == .eose(subscriptionID: "under"))
            try await session.send(.req(subscriptionID: "over", filters: [Filter(ids: ids)]))
            #expect(try await session.next() == .closed(subscriptionID: "over",
                                                        message: "ERROR: bad req: error parsing ids: total filter items too large"))

        case .strfryFiltersPerREQ, .noNegentropyFiltersPerREQ:
            try await session.send(.req(subscriptionID: "at", filters: (0..<200).map { Filter(kinds: [$0]) }))
            #expect(try await session.next() == .eose(subscriptionID: "at"))
            try await session.send(.req(subscriptionID: "over", filters: (0..<201).map { Filter(kinds: [$0]) }))
            #expect(try await session.next() == .closed(subscriptionID: "over", message: "ERROR: bad req: arr too big"))

        case .strfryTagFiltersPerFilter:
            let three: [String: [String]] = ["a": ["x"], "q": ["y"], "t": ["z"]]
            try await session.send(.req(subscriptionID: "three", filters: [Filter(tags: three)]))
            #expect(try await session.next() == .eose(subscriptionID: "three"))
            var four = three
            four["d"] = ["w"]
            try await session.send(.req(subscriptionID: "four", filters: [Filter(tags: four)]))
            #expect(try await session.next() == .closed(subscriptionID: "four", message: "ERROR: bad req: too many tags in filter"))

        case .strfryOpenSubscriptions:
            for i in 0..<200 { try await session.send(.req(subscriptionID: "s\(i)", filters: [Filter(kinds: [1])])) }
            #expect(try await countEOSEs(session, 200) == 200)
            // Re-using an open id replaces it and is not refused.
            try await session.send(.req(subscriptionID: "s0", filters: [Filter(kinds: [2])]))
            #expect(try await session.next() == .eose(subscriptionID: "s0"))
            try await session.send(.req(subscriptionID: "s200", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .notice("ERROR: too many concurrent REQs"))
            try await session.send(.close(subscriptionID: "s0"))
            try await session.send(.req(subscriptionID: "s200", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .eose(subscriptionID: "s200"))
            #expect(server.refusals.map(\.rule) == [.tooManySubscriptions])

        case .strfryResultsPerFilter, .rustNostrResultsPerFilter:
            let (repo, issues) = Fixtures.repoWithIssues(501)
            #expect(server.ingest([repo] + issues).allSatisfy { $0.okAnswer.accepted })
            try await session.send(.req(subscriptionID: "big", filters: [Filter(kinds: [1621], limit: 1000)]))
            let big = try await session.collectUntilEOSE("big")
            #expect(eventIDs(big, "big") == issues.prefix(500).map(\.id))   // newest first, silently capped
            #expect(big.last == .eose(subscriptionID: "big"))
            try await session.send(.req(subscriptionID: "none", filters: [Filter(kinds: [1621])]))
            #expect(eventIDs(try await session.collectUntilEOSE("none"), "none").count == 500)
            try await session.send(.req(subscriptionID: "small", filters: [Filter(kinds: [1621], limit: 499)]))
            #expect(eventIDs(try await session.collectUntilEOSE("small"), "small").count == 499)
            #expect(server.refusals.isEmpty)

        case .strfryNegentropyItems, .rustNostrNegentropyItems:
            let (repo, issues) = Fixtures.repoWithIssues(3)
            server.ingest([repo] + issues)
            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: emptyNegentropyMessage))
            guard case .negMsg("n", _) = try await session.next() else { Issue.record("no NEG-MSG at the limit"); return }
            try await session.send(.negClose(subscriptionID: "n"))
            server.ingest([Fixtures.issue(for: repo, subject: "one more", createdAt: Fixtures.now - 100)])
            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: emptyNegentropyMessage))
            let expected: RelayMessage = limitCase == .strfryNegentropyItems
                ? .negErr(subscriptionID: "n", reason: "blocked: too many query results", maxRecords: 3)
                : .negErr(subscriptionID: "n", reason: "rate-limited: too many negentropy items", maxRecords: nil)
            #expect(try await session.next() == expected)
            #expect(server.refusals.map(\.rule) == [.tooManyNegentropyItems])

        case .strfryUnknownNegentropySession, .rustNostrUnknownNegentropySession:
            try await session.send(.negMsg(subscriptionID: "ghost", message: emptyNegentropyMessage))
            let reason = limitCase == .strfryUnknownNegentropySession ? "closed: unknown subscription handle" : "error: subscription not found"
            #expect(try await session.next() == .negErr(subscriptionID: "ghost", reason: reason, maxRecords: nil))
            // A known session is answered by the engine.
            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: emptyNegentropyMessage))
            guard case .negMsg("n", _) = try await session.next() else { Issue.record("no NEG-MSG for NEG-OPEN"); return }
            try await session.send(.negMsg(subscriptionID: "n", message: emptyNegentropyMessage))
            guard case .negMsg("n", _) = try await session.next() else { Issue.record("no NEG-MSG for an open session"); return }

        case .strfryBadNegentropyHex:
            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: "zz"))
            #expect(try await session.next() == .notice("ERROR: negentropy error: invalid hex"))
            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: emptyNegentropyMessage))
            guard case .negMsg("n", _) = try await session.next() else { Issue.record("no NEG-MSG for good hex"); return }
            try await session.send(.negMsg(subscriptionID: "n", message: "0x"))
            #expect(try await session.next() == .notice("ERROR: negentropy error: invalid hex"))

        case .rustNostrMessageRate:
            // 6,000 messages in a minute pass (the last one a REQ, to see it answered).
            for _ in 0..<5_999 { try await session.send(.close(subscriptionID: "x")) }
            try await session.send(.req(subscriptionID: "a", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .eose(subscriptionID: "a"))
            // A new minute, a new budget; then one message over it drops the connection.
            clock.advance(by: 60)
            for _ in 0..<5_999 { try await session.send(.close(subscriptionID: "x")) }
            try await session.send(.req(subscriptionID: "b", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .eose(subscriptionID: "b"))
            try await session.send(.close(subscriptionID: "x"))
            try await expectDropped(session)
            #expect(server.refusals.map(\.rule) == [.messageRate])
            #expect(server.messagesReceived == 12_001)

        case .rustNostrREQRate:
            for _ in 0..<1_200 { try await session.send(.req(subscriptionID: "r", filters: [Filter(kinds: [1])])) }
            #expect(try await countEOSEs(session, 1_200) == 1_200)
            try await session.send(.req(subscriptionID: "r", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .closed(subscriptionID: "r", message: "rate-limited: too many queries"))
            clock.advance(by: 60)
            try await session.send(.req(subscriptionID: "r", filters: [Filter(kinds: [1])]))
            #expect(try await session.next() == .eose(subscriptionID: "r"))
            #expect(server.refusals.map(\.rule) == [.requestRate])

        case .rustNostrMessageSize:
            try await session.sendRaw(paddedREQ("five", bytes: 5_000_000))
            #expect(try await session.next() == .eose(subscriptionID: "five"))
            try await session.sendRaw(paddedREQ("over", bytes: 16 * 1024 * 1024 + 1))
            try await expectDropped(session)
            #expect(server.refusals.map(\.rule) == [.messageTooLarge(bytes: 16 * 1024 * 1024 + 1)])

        case .rustNostrClosedAfterAnsweredIDs:
            let (repo, issues) = Fixtures.repoWithIssues(2)
            server.ingest([repo] + issues)
            let ids = issues.map(\.id)
            try await session.send(.req(subscriptionID: "all", filters: [Filter(ids: ids)]))
            let all = try await session.collectUntilEOSE("all")
            #expect(eventIDs(all, "all").sorted() == ids.sorted())
            #expect(try await session.next() == .closed(subscriptionID: "all", message: ""))
            // One id missing: EOSE and the subscription stays (the next answer is the COUNT).
            let missing = String(repeating: "f", count: 64)
            try await session.send(.req(subscriptionID: "some", filters: [Filter(ids: [ids[0], missing])]))
            #expect(eventIDs(try await session.collectUntilEOSE("some"), "some") == [ids[0]])
            try await session.send(.count(subscriptionID: "c", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .count(subscriptionID: "c", count: 2))

        case .noNegentropyNegOpen:
            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: emptyNegentropyMessage))
            #expect(try await session.next() == .notice("ERROR: unknown command"))
            try await session.send(.req(subscriptionID: "r", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .eose(subscriptionID: "r"))
            #expect(server.refusals.map(\.rule) == [.negentropyUnsupported])

        case .silentNoNegentropyNegOpen:
            try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: emptyNegentropyMessage))
            // Nothing answers the NEG-OPEN: the next message is the REQ's EOSE.
            try await session.send(.req(subscriptionID: "r", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .eose(subscriptionID: "r"))
            #expect(server.refusals == [.init(connection: 0, rule: .negentropyIgnored, answer: nil)])
        }
    }

    // MARK: - Round trips under the limits

    static let profiles: [PeerProfile] = [.strfry, .rustNostr, .noNegentropy, .silentNoNegentropy]

    @Test(arguments: profiles)
    func reqAndNegentropyRoundTrip(_ profile: PeerProfile) async throws {
        try await ProfiledRelayServer.with(profile: profile) { server in
            let (repo, issues) = Fixtures.repoWithIssues(5)
            #expect(server.ingest([repo] + issues).allSatisfy { $0.okAnswer.accepted })
            let session = try await Self.connect(server)
            try await session.send(.req(subscriptionID: "issues", filters: [Filter(kinds: [1621], limit: 3)]))
            let reply = try await session.collectUntilEOSE("issues")
            #expect(eventIDs(reply, "issues") == issues.prefix(3).map(\.id))
            #expect(reply.last == .eose(subscriptionID: "issues"))
            // Live events still reach an open subscription.
            let live = Fixtures.issue(for: repo, subject: "live")
            server.ingest([live])
            #expect(try await session.next() == .event(subscriptionID: "issues", event: live))
            if profile.negentropy == .supported {
                try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: Self.emptyNegentropyMessage))
                guard case .negMsg("n", let hex) = try await session.next() else { Issue.record("no NEG-MSG"); return }
                // The responder lists its 6 ids (32 bytes each) in its IdList answer.
                #expect(hex.count > 6 * 64)
                try await session.send(.negClose(subscriptionID: "n"))
            }
            try await session.send(.count(subscriptionID: "c", filters: [Filter(kinds: [1621])]))
            #expect(try await session.next() == .count(subscriptionID: "c", count: 6))
            #expect(server.refusals.isEmpty)
            #expect(server.connectionCount == 1)
            await session.close()
            #expect(await session.closeReason() == nil)
        }
    }

    // MARK: - Helpers

    /// A WebSocket session to the double, its outbound limit raised so oversized messages
    /// reach the server.
    static func connect(_ server: ProfiledRelayServer) async throws -> WebSocketRelaySession {
        let configuration = WebSocketTransportConfiguration(
            maxOutboundMessageBytes: 32 * 1024 * 1024, compression: false, addressPolicy: AddressPolicy(allowPrivate: true))
        return try await WebSocketRelayTransport(configuration: configuration).connectWebSocket(to: server.url)
    }

    /// A valid REQ of exactly `bytes` bytes (JSON whitespace padding).
    static func paddedREQ(_ id: String, bytes: Int) -> String {
        let head = "[\"REQ\",\"\(id)\",{\"kinds\":[1]}"
        return head + String(repeating: " ", count: bytes - head.utf8.count - 1) + "]"
    }

    /// An 80-byte repo coordinate.
    static func coordinate(_ i: Int) -> String {
        "30617:" + String(format: "%064x", i) + ":" + String(format: "repo%05d", i)
    }

    /// Reads until `count` EOSE messages arrived; returns how many did.
    static func countEOSEs(_ session: WebSocketRelaySession, _ count: Int) async throws -> Int {
        var seen = 0
        while seen < count {
            if case .eose = try await session.next() { seen += 1 }
        }
        return seen
    }

    /// The connection ends with the TCP connection dropped: no close frame, so no code.
    static func expectDropped(_ session: WebSocketRelaySession) async throws {
        _ = try await session.collectUntilEnd()
        #expect(await session.closeReason() == .closedByPeer(code: nil, reason: nil))
    }
}
