import Reconcile
import Testing

/// Single-instance step files (protocol version, spec §1.4, edge cases) and the
/// malformed inputs the reference rejects.
@Suite("Negentropy step and error vectors")
struct NegentropyStepTests {
    static let stepFiles = Fixtures.files(ofKind: "steps")

    @Test func stepFilesArePresent() {
        #expect(Self.stepFiles == ["40-protocol-version.json", "41-spec-1.4-vectors.json", "42-edge-cases.json"])
    }

    @Test("Step cases", arguments: stepFiles)
    func steps(file: String) throws {
        let f = try Fixtures.load(StepsFile.self, file)
        #expect(!f.cases.isEmpty)
        for c in f.cases {
            var ne = try Negentropy(storage: try makeStorage(c.items), frameSizeLimit: c.frameSizeLimit)
            if c.role == "client" {
                let initiate = try ne.initiate()
                expectSameHex(hex(initiate), c.expectInitiate, "\(c.name): initiate")
                for (i, step) in c.steps.enumerated() {
                    var have: [NegentropyID] = []
                    var need: [NegentropyID] = []
                    let next = try ne.reconcile(unhex(step.input), have: &have, need: &need)
                    expectSameHex(next.map(hex), step.expectOutput, "\(c.name) step \(i)")
                    #expect((next == nil) == (step.expectDone ?? false), "\(c.name) step \(i): done")
                    #expect(sortedHex(have) == (step.have ?? []).sorted(), "\(c.name) step \(i): have")
                    #expect(sortedHex(need) == (step.need ?? []).sorted(), "\(c.name) step \(i): need")
                }
            } else {
                #expect(c.role == "server")
                for (i, step) in c.steps.enumerated() {
                    let reply = try ne.reconcile(unhex(step.input))
                    expectSameHex(hex(reply), step.expectOutput, "\(c.name) step \(i)")
                }
            }
        }
    }

    @Test func malformedInputsFailWithTheReferenceError() throws {
        let f = try Fixtures.load(ErrorsFile.self, "50-malformed-inputs.json")
        #expect(f.cases.count == 25)
        for c in f.cases {
            let error = captureError {
                () throws(NegentropyError) in
                var storage = NegentropyStorage()
                for item in c.items { try storage.insert(timestamp: item.timestamp, id: item.id) }
                try storage.seal()
                var ne = try Negentropy(storage: storage, frameSizeLimit: c.frameSizeLimit)
                guard c.stage == "reconcile", let input = c.input else { return }
                if c.role == "client" {
                    if c.initiateFirst { _ = try ne.initiate() }
                    var have: [NegentropyID] = []
                    var need: [NegentropyID] = []
                    _ = try ne.reconcile(unhex(input), have: &have, need: &need)
                } else {
                    _ = try ne.reconcile(unhex(input))
                }
            }
            #expect(error?.message == c.expectError, "\(c.name) (stage \(c.stage))")
        }
    }

    @Test func responderStaysUsableAfterAnErrorAndAVersionDowngrade() throws {
        let id = try #require(NegentropyID(hex: String(repeating: "ee", count: 32)))
        var ne = try Negentropy(storage: try NegentropyStorage(sealing: [NegentropyItem(timestamp: 12345, id: id)]))
        #expect(throws: NegentropyError.unexpectedMode) { try ne.reconcile(unhex("61000003")) }
        #expect(try ne.reconcile(unhex("62aabbccddeeff")) == [0x61])
        #expect(hex(try ne.reconcile(unhex("6100000200"))) == "6100000201" + String(repeating: "ee", count: 32))
    }

    @Test func apiMisuseErrors() throws {
        var ne = try Negentropy(storage: try NegentropyStorage(sealing: []))
        var have: [NegentropyID] = []
        var need: [NegentropyID] = []
        #expect(throws: NegentropyError.nonInitiatorAskingForHaveNeedIDs) {
            try ne.reconcile([0x61], have: &have, need: &need)
        }
        _ = try ne.initiate()
        #expect(throws: NegentropyError.alreadyInitiated) { try ne.initiate() }
        #expect(throws: NegentropyError.initiatorNotAskingForHaveNeedIDs) { try ne.reconcile([0x61]) }
        #expect(throws: NegentropyError.notSealed) { try Negentropy(storage: NegentropyStorage()) }
        #expect(throws: NegentropyError.frameSizeLimitTooSmall) {
            try Negentropy(storage: try NegentropyStorage(sealing: []), frameSizeLimit: 1)
        }
        #expect(throws: Never.self) { try Negentropy(storage: try NegentropyStorage(sealing: []), frameSizeLimit: 4096) }

        var storage = NegentropyStorage()
        #expect(throws: NegentropyError.reservedTimestamp) { try storage.insert(timestamp: .max, id: .zero) }
        try storage.insert(timestamp: .max - 1, id: .zero)
        try storage.seal()
        #expect(throws: NegentropyError.alreadySealed) { try storage.seal() }
        #expect(throws: NegentropyError.alreadySealed) { try storage.insert(timestamp: 1, id: .zero) }
        #expect(throws: NegentropyError.reservedTimestamp) {
            try NegentropyStorage(sealing: [NegentropyItem(timestamp: .max, id: .zero)])
        }
    }
}

/// Runs `body` and returns the error it threw, if any.
func captureError(_ body: () throws(NegentropyError) -> Void) -> NegentropyError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}
