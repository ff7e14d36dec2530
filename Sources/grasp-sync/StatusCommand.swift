import App
import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SyncMetrics

/// `grasp-sync status`: the running node's `/status` as a table.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running node's status (its GET /status) as a table.",
        discussion: "Without --url the node is looked for at http://<host>:<port> from --host/--port (or GRASP_SYNC_HOST/GRASP_SYNC_PORT).")

    @Option(name: .customLong("url"), help: "The node's HTTP address, e.g. http://127.0.0.1:7447.")
    var url: String?

    @Flag(name: .customLong("json"), help: "Print the /status document as JSON instead of a table.")
    var json = false

    @Option(name: .customLong("timeout"), help: "Seconds to wait for the node. (default: 10)")
    var timeout: Double = 10

    @OptionGroup var policyOptions: PolicyOptions

    func run() async throws {
        let settings = Settings()
        var config = NodeConfiguration()
        try policyOptions.apply(to: &config, settings)
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        let base: URL
        if let url {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw ValidationError("--url '\(url)' is not an http:// or https:// URL")
            }
            base = parsed
        } else {
            let host = ["0.0.0.0", "::", ""].contains(config.host) ? "127.0.0.1" : config.host
            base = URL(string: "http://\(host.contains(":") ? "[\(host)]" : host):\(config.port)")!
        }
        let target = base.path.hasSuffix("/status") ? base : base.appendingPathComponent("status")
        try await runTool("status") {
            var request = URLRequest(url: target, timeoutInterval: timeout)
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            let configuration = URLSessionConfiguration.ephemeral
            configuration.timeoutIntervalForResource = timeout
            let session = URLSession(configuration: configuration)
            let data: Data
            let response: URLResponse
            do {
                (data, response) = try await session.data(for: request)
            } catch {
                throw ToolError.remote("no answer from \(target.absoluteString): \(error.localizedDescription) (is the node running? see --url)")
            }
            guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
                throw ToolError.remote("\(target.absoluteString) answered HTTP \((response as? HTTPURLResponse)?.statusCode ?? 0), not a status document")
            }
            let document: RelayStatusDocument
            do { document = try RelayStatusDocument.decode(from: data) } catch {
                throw ToolError.remote("\(target.absoluteString) did not return a grasp-sync status document: \(error)")
            }
            if json {
                FileHandle.standardOutput.write(try document.jsonData(prettyPrinted: true) + Data("\n".utf8))
            } else {
                print(document.textTable(now: Date().timeIntervalSince1970), terminator: "")
            }
        }
    }
}
