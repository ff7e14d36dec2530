import App
import ArgumentParser
import Foundation
import Logging
import Nostr

/// `grasp-sync`: a Nostr relay for NIP-34 git events with GRASP-02 proactive sync.
///
/// Every option can also come from an environment variable `GRASP_SYNC_<OPTION>` (upper
/// case, dashes as underscores); a flag on the command line wins over the variable.
@main
struct GraspSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grasp-sync",
        abstract: "A Nostr relay for NIP-34 git collaboration events with GRASP-02 proactive sync.",
        discussion: "Every option can also be set with an environment variable GRASP_SYNC_<OPTION>, e.g. GRASP_SYNC_PORT=7447.")

    @Option(help: "Address to listen on. [env: GRASP_SYNC_HOST] (default: 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on. [env: GRASP_SYNC_PORT] (default: 7447)")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for the database and saved state. [env: GRASP_SYNC_DATA_DIR] (default: ./data)")
    var dataDir: String?

    @Option(name: .customLong("service-url"), help: "Public relay URL announcements must list; repeatable or comma-separated. [env: GRASP_SYNC_SERVICE_URL] (default: ws://<host>:<port>)")
    var serviceURL: [String] = []

    @Flag(name: .customLong("require-clone-listing"), help: "Also require an http(s) clone URL on this host in announcements. [env: GRASP_SYNC_REQUIRE_CLONE_LISTING]")
    var requireCloneListing = false

    @Flag(help: "GRASP-05 archive mode: accept every valid announcement. [env: GRASP_SYNC_ARCHIVE]")
    var archive = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. [env: GRASP_SYNC_LOG_LEVEL] (default: info)")
    var logLevel: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        func setting(_ name: String) -> String? { env["GRASP_SYNC_" + name].flatMap { $0.isEmpty ? nil : $0 } }
        func flag(_ name: String) -> Bool { ["1", "true", "yes", "on"].contains(setting(name)?.lowercased() ?? "") }

        let levelText = logLevel ?? setting("LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError("unknown log level '\(levelText)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var config = NodeConfiguration()
        config.logLevel = level
        config.host = host ?? setting("HOST") ?? config.host
        if let p = port ?? setting("PORT").flatMap(Int.init) {
            guard (0...65535).contains(p) else { throw ValidationError("port must be 0-65535") }
            config.port = p
        } else if let raw = setting("PORT") {
            throw ValidationError("GRASP_SYNC_PORT '\(raw)' is not a port number")
        }
        config.dataDirectory = URL(fileURLWithPath: dataDir ?? setting("DATA_DIR") ?? "data")
        let urls = (serviceURL.isEmpty ? (setting("SERVICE_URL").map { [$0] } ?? []) : serviceURL)
            .flatMap { $0.split(separator: ",").map(String.init) }
        config.serviceURLs = try urls.map { raw in
            guard let url = RelayURL(raw) else { throw ValidationError("service URL '\(raw)' is not a ws:// or wss:// URL") }
            return url
        }
        config.requireCloneListing = requireCloneListing || flag("REQUIRE_CLONE_LISTING")
        config.archive = archive || flag("ARCHIVE")

        let logger = Logger(label: "grasp-sync")
        let node = try GraspSyncNode(configuration: config, logger: logger)
        try await node.run()
    }
}
