import Testing
import Foundation
import Reconcile

/// Loads the negentropy conformance vectors shipped in `Fixtures/` (copied from the
/// shared vector set; the C++ reference output is the expected output everywhere).
enum Fixtures {
    static let directory: URL = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures directory missing from the test bundle")
        }
        return url
    }()

    static func data(_ file: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(file))
    }

    static func load<T: Decodable>(_ type: T.Type, _ file: String) throws -> T {
        // JSONDecoder reads integers above 2^53 exactly into UInt64 (files 22, 23).
        try JSONDecoder().decode(T.self, from: data(file))
    }

    /// Every file the manifest lists, with its kind.
    static let manifest: Manifest = {
        do { return try load(Manifest.self, "manifest.json") } catch { fatalError("manifest.json: \(error)") }
    }()

    static func files(ofKind kind: String) -> [String] {
        manifest.files.filter { $0.kind == kind }.map(\.file).sorted()
    }
}

struct Manifest: Decodable {
    struct Entry: Decodable {
        let file: String
        let kind: String
    }
    let files: [Entry]
}

/// One `[timestamp, "hexid"]` pair.
struct FixtureItem: Decodable {
    let timestamp: UInt64
    let id: NegentropyID

    init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        timestamp = try c.decode(UInt64.self)
        let hex = try c.decode(String.self)
        guard let id = NegentropyID(hex: hex) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "bad id \(hex)")
        }
        self.id = id
    }
}

struct ExchangeFile: Decodable {
    struct Message: Decodable {
        let from: String
        let hex: String
        let have: [String]?
        let need: [String]?
    }
    let name: String
    let kind: String
    let frameSizeLimitClient: Int
    let frameSizeLimitServer: Int
    let clientItems: [FixtureItem]
    let serverItems: [FixtureItem]
    let trace: [Message]
    let clientHave: [String]
    let clientNeed: [String]
}

struct StepsFile: Decodable {
    struct Step: Decodable {
        let input: String
        let expectOutput: String?
        let expectDone: Bool?
        let have: [String]?
        let need: [String]?
    }
    struct Case: Decodable {
        let name: String
        let role: String
        let frameSizeLimit: Int
        let items: [FixtureItem]
        let expectInitiate: String?
        let steps: [Step]
    }
    let name: String
    let kind: String
    let cases: [Case]
}

struct ErrorsFile: Decodable {
    struct Case: Decodable {
        let name: String
        let role: String
        let frameSizeLimit: Int
        let initiateFirst: Bool
        let stage: String
        let items: [FixtureItem]
        let input: String?
        let expectError: String
    }
    let cases: [Case]
}

struct PrimitivesFile: Decodable {
    struct Varint: Decodable {
        let value: UInt64
        let hex: String
    }
    struct FingerprintCase: Decodable {
        let name: String
        let count: UInt64
        let ids: [String]
        let fingerprint: String
    }
    let varints: [Varint]
    let cases: [FingerprintCase]
}

// MARK: - Helpers

func hex(_ bytes: [UInt8]) -> String { NegentropyHex.encode(bytes) }

func unhex(_ string: String) -> [UInt8] {
    guard let bytes = NegentropyHex.decode(string) else { fatalError("bad hex in fixture: \(string.prefix(40))") }
    return bytes
}

func makeStorage(_ items: [FixtureItem]) throws -> NegentropyStorage {
    var storage = NegentropyStorage()
    for item in items { try storage.insert(timestamp: item.timestamp, id: item.id) }
    try storage.seal()
    return storage
}

/// Sorted hex strings, for set comparison of have/need lists.
func sortedHex(_ ids: [NegentropyID]) -> [String] { ids.map(\.hex).sorted() }

/// Compares two hex strings; on a mismatch records one short issue naming the first
/// differing byte instead of printing (possibly megabyte-long) messages in full.
func expectSameHex(
    _ actual: String?, _ expected: String?, _ context: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual != expected else { return }
    guard let a = actual, let e = expected else {
        Issue.record("\(context): got \(actual.map { "\($0.prefix(80))…" } ?? "nil"), expected \(expected.map { "\($0.prefix(80))…" } ?? "nil")", sourceLocation: sourceLocation)
        return
    }
    let ab = Array(a.utf8), eb = Array(e.utf8)
    var i = 0
    while i < min(ab.count, eb.count) && ab[i] == eb[i] { i += 1 }
    let byte = i / 2
    let from = max(0, byte - 8) * 2
    func snippet(_ s: [UInt8]) -> String { String(decoding: s[min(from, s.count)..<min(from + 64, s.count)], as: UTF8.self) }
    Issue.record(
        "\(context): \(ab.count / 2) bytes vs expected \(eb.count / 2); first difference at byte \(byte): got …\(snippet(ab))… expected …\(snippet(eb))…",
        sourceLocation: sourceLocation)
}
