import App
import ArgumentParser
import Foundation
import Logging
import Nostr

/// `GRASP_SYNC_<NAME>` environment variables, the fallback of every option (a flag on the
/// command line wins). Empty variables count as unset.
struct Settings {
    let environment: [String: String]

    init(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    func string(_ name: String) -> String? { environment["GRASP_SYNC_" + name].flatMap { $0.isEmpty ? nil : $0 } }

    func flag(_ name: String) -> Bool { ["1", "true", "yes", "on"].contains(string(name)?.lowercased() ?? "") }

    func number<T>(_ name: String, _ parse: (String) -> T?) throws -> T? {
        guard let raw = string(name) else { return nil }
        guard let value = parse(raw) else { throw ValidationError("GRASP_SYNC_\(name) '\(raw)' is not a number") }
        return value
    }

    /// A repeatable option's values, or the variable's; either may be comma-separated.
    func list(_ values: [String], _ name: String) -> [String] {
        (values.isEmpty ? (string(name).map { [$0] } ?? []) : values)
            .flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
    }
}

/// Where the data lives and how much is logged: every subcommand takes these.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory for the database and saved state. [env: GRASP_SYNC_DATA_DIR] (default: ./data)")
    var dataDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. [env: GRASP_SYNC_LOG_LEVEL] (default: info)")
    var logLevel: String?

    /// Sets the data directory and log level, and starts logging to stderr at that level.
    func apply(to config: inout NodeConfiguration, _ settings: Settings, defaultLevel: Logger.Level = .info) throws {
        let levelText = logLevel ?? settings.string("LOG_LEVEL") ?? defaultLevel.rawValue
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ValidationError("unknown log level '\(levelText)' (trace, debug, info, notice, warning, error, critical)")
        }
        config.logLevel = level
        config.dataDirectory = URL(fileURLWithPath: dataDir ?? settings.string("DATA_DIR") ?? "data")
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// The node's address and the acceptance policy's settings (which announcements are
/// accepted depends on the service URLs, whose default is `ws://<host>:<port>`).
struct PolicyOptions: ParsableArguments {
    @Option(help: "Address to listen on. [env: GRASP_SYNC_HOST] (default: 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on. [env: GRASP_SYNC_PORT] (default: 7447)")
    var port: Int?

    @Option(name: .customLong("service-url"), help: "Public relay URL announcements must list; repeatable or comma-separated. [env: GRASP_SYNC_SERVICE_URL] (default: ws://<host>:<port>)")
    var serviceURL: [String] = []

    @Flag(name: .customLong("require-clone-listing"), help: "Also require an http(s) clone URL on this host in announcements. [env: GRASP_SYNC_REQUIRE_CLONE_LISTING]")
    var requireCloneListing = false

    @Flag(help: "GRASP-05 archive mode: accept every valid announcement. [env: GRASP_SYNC_ARCHIVE]")
    var archive = false

    func apply(to config: inout NodeConfiguration, _ settings: Settings) throws {
        config.host = host ?? settings.string("HOST") ?? config.host
        if let p = port ?? settings.string("PORT").flatMap(Int.init) {
            guard (0...65535).contains(p) else { throw ValidationError("port must be 0-65535") }
            config.port = p
        } else if let raw = settings.string("PORT") {
            throw ValidationError("GRASP_SYNC_PORT '\(raw)' is not a port number")
        }
        config.serviceURLs = try settings.list(serviceURL, "SERVICE_URL").map { raw in
            guard let url = RelayURL(raw) else { throw ValidationError("service URL '\(raw)' is not a ws:// or wss:// URL") }
            return url
        }
        config.requireCloneListing = requireCloneListing || settings.flag("REQUIRE_CLONE_LISTING")
        config.archive = archive || settings.flag("ARCHIVE")
    }
}

/// What sync may dial (the SSRF guard).
struct DialOptions: ParsableArguments {
    @Flag(name: .customLong("allow-private-relays"), help: "Let sync dial loopback, private and link-local addresses. [env: GRASP_SYNC_ALLOW_PRIVATE_RELAYS]")
    var allowPrivateRelays = false

    @Option(name: .customLong("allow-relay-host"), help: "Host sync may dial even if private; repeatable or comma-separated. [env: GRASP_SYNC_ALLOW_RELAY_HOST]")
    var allowRelayHost: [String] = []

    func apply(to config: inout NodeConfiguration, _ settings: Settings) {
        config.allowPrivateRelays = allowPrivateRelays || settings.flag("ALLOW_PRIVATE_RELAYS")
        config.allowedRelayHosts = Set(settings.list(allowRelayHost, "ALLOW_RELAY_HOST").map { $0.lowercased() })
    }
}

/// Parses a `--filter` JSON object (nil: `fallback`), with `--since`/`--until` applied.
func parseFilter(_ text: String?, since: Int64?, until: Int64?, fallback: Filter) throws -> Filter {
    var filter = fallback
    if let text {
        do { filter = try Filter(jsonText: text) } catch {
            throw ValidationError("--filter '\(text)' is not a Nostr filter: \(error.message)")
        }
    }
    if let since { filter.since = max(filter.since ?? since, since) }
    if let until { filter.until = min(filter.until ?? until, until) }
    if let s = filter.since, let u = filter.until, s > u {
        throw ValidationError("the filter's since (\(s)) is after its until (\(u))")
    }
    return filter
}
