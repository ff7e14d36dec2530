import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A minimal HTTP GET for tests (NIP-11, metrics).
enum HTTPGet {
    struct Reply: Sendable {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    static func fetch(host: String, port: Int, path: String, headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://\(host):\(port)\(path)")!)
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: h, body: String(decoding: data, as: UTF8.self))
    }
}
