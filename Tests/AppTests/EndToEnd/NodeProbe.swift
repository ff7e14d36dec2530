import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP GET against a node on 127.0.0.1 (`/metrics`, `/status`).
enum E2EHTTP {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 5
        configuration.timeoutIntervalForResource = 10
        return URLSession(configuration: configuration)
    }()

    static func get(port: Int, path: String) async throws -> (status: Int, body: String) {
        let request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw E2EError.protocolError("GET \(path): not HTTP") }
        return (http.statusCode, String(decoding: data, as: UTF8.self))
    }
}

/// A parsed Prometheus text exposition.
struct E2EMetrics: CustomStringConvertible {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let samples: [Sample]
    let text: String

    /// Parses `name{a="x",b="y"} value` lines; comments and blank lines are skipped.
    init(text: String) throws {
        self.text = text
        var out: [Sample] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let name: String
            var labels: [String: String] = [:]
            let rest: Substring
            if let brace = line.firstIndex(of: "{") {
                name = String(line[..<brace])
                guard let close = line.lastIndex(of: "}") else { throw E2EError.protocolError("bad metrics line: \(line)") }
                labels = try Self.parseLabels(line[line.index(after: brace)..<close])
                rest = line[line.index(after: close)...]
            } else {
                guard let space = line.firstIndex(of: " ") else { throw E2EError.protocolError("bad metrics line: \(line)") }
                name = String(line[..<space])
                rest = line[space...]
            }
            let valueText = rest.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
            guard let value = Double(valueText) ?? (valueText == "+Inf" ? .infinity : nil) else {
                throw E2EError.protocolError("bad metrics value in: \(line)")
            }
            out.append(Sample(name: name, labels: labels, value: value))
        }
        samples = out
    }

    private static func parseLabels(_ s: Substring) throws -> [String: String] {
        var out: [String: String] = [:]
        var i = s.startIndex
        while i < s.endIndex {
            guard let eq = s[i...].firstIndex(of: "=") else { break }
            let key = s[i..<eq].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
            var j = s.index(after: eq)
            guard j < s.endIndex, s[j] == "\"" else { throw E2EError.protocolError("bad labels: \(s)") }
            j = s.index(after: j)
            var value = ""
            while j < s.endIndex, s[j] != "\"" {
                if s[j] == "\\", s.index(after: j) < s.endIndex {
                    j = s.index(after: j)
                    value.append(s[j] == "n" ? "\n" : s[j])
                } else {
                    value.append(s[j])
                }
                j = s.index(after: j)
            }
            out[key] = value
            i = j < s.endIndex ? s.index(after: j) : j
        }
        return out
    }

    /// The value of the first sample named `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { k, v in sample.labels[k] == v } }?.value
    }

    /// Every sample whose name starts with `prefix`, one per line (failure messages).
    func lines(prefix: String) -> String {
        samples.filter { $0.name.hasPrefix(prefix) }
            .map { "\($0.name)\($0.labels.isEmpty ? "" : "\($0.labels.sorted { $0.key < $1.key })") \($0.value)" }
            .joined(separator: "\n")
    }

    var description: String { lines(prefix: "ngit_sync_") }
}

/// The `GET /status` document, only the fields the tests read.
struct E2EStatus: Decodable {
    struct Relay: Decodable {
        let url: String
        let status: String
        let statusCode: Int
        let health: String
        let healthCode: Int
        let consecutiveFailures: Int
        let nextRetryAt: Double?
        let lastError: String?

        enum CodingKeys: String, CodingKey {
            case url, status, health
            case statusCode = "status_code"
            case healthCode = "health_code"
            case consecutiveFailures = "consecutive_failures"
            case nextRetryAt = "next_retry_at"
            case lastError = "last_error"
        }
    }

    let generatedAt: Double
    let relays: [Relay]

    enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case relays
    }

    func relay(_ url: String) -> Relay? { relays.first { $0.url == url } }
}

extension NodeProcess {
    /// `GET /metrics`, parsed.
    func metrics() async throws -> E2EMetrics {
        let reply = try await E2EHTTP.get(port: port, path: "/metrics")
        guard reply.status == 200 else { throw E2EError.protocolError("GET /metrics on \(name): HTTP \(reply.status)") }
        return try E2EMetrics(text: reply.body)
    }

    /// `GET /status`, decoded.
    func status() async throws -> E2EStatus {
        let reply = try await E2EHTTP.get(port: port, path: "/status")
        guard reply.status == 200 else { throw E2EError.protocolError("GET /status on \(name): HTTP \(reply.status)") }
        do {
            return try JSONDecoder().decode(E2EStatus.self, from: Data(reply.body.utf8))
        } catch {
            throw E2EError.protocolError("GET /status on \(name): \(error)\n\(reply.body)")
        }
    }

    /// `ngit_sync_relay_status{relay=url}` (health).
    func healthStatus(of url: String) async throws -> Double? {
        try await metrics().value("ngit_sync_relay_status", ["relay": url])
    }
}
