import Reconcile
import Testing

/// Replays every recorded two-party exchange (files 01-28) against our initiator,
/// our responder, and the two of them talking to each other.
@Suite("Negentropy exchange vectors")
struct NegentropyExchangeTests {
    static let exchangeFiles = Fixtures.files(ofKind: "exchange")

    @Test func allExchangeFilesArePresent() {
        #expect(Self.exchangeFiles.count == 28)
    }

    @Test("Initiator replay", arguments: exchangeFiles)
    func initiatorReplay(file: String) throws {
        let x = try Fixtures.load(ExchangeFile.self, file)
        var client = try Negentropy(storage: try makeStorage(x.clientItems), frameSizeLimit: x.frameSizeLimitClient)
        expectSameHex(hex(try client.initiate()), x.trace[0].hex, "\(file) initiate")

        for k in stride(from: 1, to: x.trace.count, by: 2) {
            let server = x.trace[k]
            #expect(server.from == "server")
            var have: [NegentropyID] = []
            var need: [NegentropyID] = []
            let next = try client.reconcile(unhex(server.hex), have: &have, need: &need)
            #expect(sortedHex(have) == (server.have ?? []).sorted(), "have, round \(k / 2 + 1)")
            #expect(sortedHex(need) == (server.need ?? []).sorted(), "need, round \(k / 2 + 1)")
            if k + 1 < x.trace.count {
                expectSameHex(next.map(hex), x.trace[k + 1].hex, "\(file) client message \(k + 1)")
            } else {
                #expect(next == nil, "client should be done after the last server message")
            }
        }
    }

    @Test("Responder replay", arguments: exchangeFiles)
    func responderReplay(file: String) throws {
        let x = try Fixtures.load(ExchangeFile.self, file)
        var server = try Negentropy(storage: try makeStorage(x.serverItems), frameSizeLimit: x.frameSizeLimitServer)
        for k in stride(from: 0, to: x.trace.count, by: 2) {
            #expect(x.trace[k].from == "client")
            let reply = try server.reconcile(unhex(x.trace[k].hex))
            expectSameHex(hex(reply), x.trace[k + 1].hex, "\(file) server message \(k + 1)")
        }
    }

    @Test("Live: our initiator against our responder", arguments: exchangeFiles)
    func live(file: String) throws {
        let x = try Fixtures.load(ExchangeFile.self, file)
        var client = try Negentropy(storage: try makeStorage(x.clientItems), frameSizeLimit: x.frameSizeLimitClient)
        var server = try Negentropy(storage: try makeStorage(x.serverItems), frameSizeLimit: x.frameSizeLimitServer)
        var allHave = Set<NegentropyID>()
        var allNeed = Set<NegentropyID>()

        var message: [UInt8]? = try client.initiate()
        var index = 0
        while let m = message {
            try #require(index + 1 < x.trace.count, "more rounds than recorded")
            expectSameHex(hex(m), x.trace[index].hex, "\(file) live client message \(index)")
            if x.frameSizeLimitClient != 0 { #expect(m.count <= x.frameSizeLimitClient) }

            let reply = try server.reconcile(m)
            expectSameHex(hex(reply), x.trace[index + 1].hex, "\(file) live server message \(index + 1)")
            if x.frameSizeLimitServer != 0 { #expect(reply.count <= x.frameSizeLimitServer) }

            var have: [NegentropyID] = []
            var need: [NegentropyID] = []
            message = try client.reconcile(reply, have: &have, need: &need)
            allHave.formUnion(have)
            allNeed.formUnion(need)
            index += 2
        }
        #expect(index == x.trace.count, "round count")
        #expect(allHave.map(\.hex).sorted() == x.clientHave)
        #expect(allNeed.map(\.hex).sorted() == x.clientNeed)
    }
}
