import App
import ArgumentParser
import Foundation
import Logging
import Nostr

/// `grasp-sync serve` (also plain `grasp-sync`): the node, a Nostr relay for NIP-34 git
/// events with GRASP-02 proactive sync.
///
/// Every option can also come from an environment variable `GRASP_SYNC_<OPTION>` (upper
/// case, dashes as underscores); a flag on the command line wins over the variable.
struct GraspSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the node (the default): serve the relay and keep it in sync (GRASP-02).",
        discussion: "Every option can also be set with an environment variable GRASP_SYNC_<OPTION>, e.g. GRASP_SYNC_PORT=7447.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var policyOptions: PolicyOptions
    @OptionGroup var dialOptions: DialOptions
    @OptionGroup var boundsOptions: BoundsOptions

    @Option(name: .customLong("bootstrap-relay"), help: "Relay to sync from at start-up; repeatable or comma-separated. [env: GRASP_SYNC_BOOTSTRAP_RELAY]")
    var bootstrapRelay: [String] = []

    @Option(name: .customLong("sync-batch-window-ms"), help: "Self-subscriber batch window in milliseconds. [env: GRASP_SYNC_SYNC_BATCH_WINDOW_MS] (default: 5000)")
    var syncBatchWindowMs: Int?

    @Option(name: .customLong("sync-base-backoff-secs"), help: "First retry delay after a failed connection. [env: GRASP_SYNC_SYNC_BASE_BACKOFF_SECS] (default: 5)")
    var syncBaseBackoffSecs: Double?

    @Option(name: .customLong("sync-max-backoff-secs"), help: "Longest retry delay. [env: GRASP_SYNC_SYNC_MAX_BACKOFF_SECS] (default: 3600)")
    var syncMaxBackoffSecs: Double?

    @Flag(name: .customLong("disable-negentropy"), help: "Never use NIP-77 when syncing; always REQ/EOSE. [env: GRASP_SYNC_DISABLE_NEGENTROPY]")
    var disableNegentropy = false

    @Flag(name: .customLong("no-relay-wide-resync"), help: "Do not fetch relays' NIP-11 documents; re-sync GRASP servers with item filters like other relays. [env: GRASP_SYNC_NO_RELAY_WIDE_RESYNC]")
    var noRelayWideResync = false

    @Option(name: .customLong("deferred-max-events"), help: "Most events held until the repository or event they reference arrives. [env: GRASP_SYNC_DEFERRED_MAX_EVENTS] (default: 10000)")
    var deferredMaxEvents: Int?

    @Option(name: .customLong("deferred-max-bytes"), help: "Most bytes of event JSON held for that. [env: GRASP_SYNC_DEFERRED_MAX_BYTES] (default: 33554432)")
    var deferredMaxBytes: Int?

    @Flag(name: .customLong("no-sync"), help: "Serve only; do not run the GRASP-02 sync engine. [env: GRASP_SYNC_NO_SYNC]")
    var noSync = false

    @Option(name: .customLong("max-events-per-sec-per-connection"), help: "Sustained EVENTs per second one client connection may send; more get 'rate-limited:'. [env: GRASP_SYNC_MAX_EVENTS_PER_SEC_PER_CONNECTION] (default: 10)")
    var maxEventsPerSecPerConnection: Double?

    @Option(name: .customLong("event-burst-per-connection"), help: "EVENTs one client connection may send in a burst. [env: GRASP_SYNC_EVENT_BURST_PER_CONNECTION] (default: 100)")
    var eventBurstPerConnection: Int?

    @Option(name: .customLong("max-events-per-sec-per-ip"), help: "Sustained EVENTs per second all connections of one client IP may send. [env: GRASP_SYNC_MAX_EVENTS_PER_SEC_PER_IP] (default: 20)")
    var maxEventsPerSecPerIP: Double?

    @Option(name: .customLong("event-burst-per-ip"), help: "EVENTs one client IP may send in a burst. [env: GRASP_SYNC_EVENT_BURST_PER_IP] (default: 300)")
    var eventBurstPerIP: Int?

    @Option(name: .customLong("max-connections-per-ip"), help: "Open WebSocket connections per client IP; more get HTTP 503. [env: GRASP_SYNC_MAX_CONNECTIONS_PER_IP] (default: 20)")
    var maxConnectionsPerIP: Int?

    @Option(name: .customLong("max-connections"), help: "Open WebSocket connections in total; more get HTTP 503. [env: GRASP_SYNC_MAX_CONNECTIONS] (default: 1000)")
    var maxConnections: Int?

    @Option(name: .customLong("trusted-proxy-header"), help: "Header with the client IP set by your reverse proxy (e.g. X-Forwarded-For); ignored when unset. [env: GRASP_SYNC_TRUSTED_PROXY_HEADER]")
    var trustedProxyHeader: String?

    @Option(name: .customLong("max-filter-value-bytes"), help: "Bytes of values one tag list of an outgoing filter may carry, counted as strfry counts them (ids and pubkeys 32 each); relays that refuse less teach a smaller figure. [env: GRASP_SYNC_MAX_FILTER_VALUE_BYTES] (default: 60000)")
    var maxFilterValueBytes: Int?

    @Option(name: .customLong("max-live-subscriptions"), help: "Live REQs the consolidated set may keep open on one relay; past it replies to root events are streamed by kind. [env: GRASP_SYNC_MAX_LIVE_SUBSCRIPTIONS] (default: 150)")
    var maxLiveSubscriptions: Int?

    @Option(name: .customLong("max-tracked-relays"), help: "Most relays the sync engine tracks; at the cap relays that never delivered events make room. [env: GRASP_SYNC_MAX_TRACKED_RELAYS] (default: 1000)")
    var maxTrackedRelays: Int?

    @Option(name: .customLong("max-relays-per-announcement"), help: "Relays taken from one announcement (relays tag first, then clone URLs). [env: GRASP_SYNC_MAX_RELAYS_PER_ANNOUNCEMENT] (default: 10)")
    var maxRelaysPerAnnouncement: Int?

    @Option(name: .customLong("max-relays-per-author"), help: "Distinct relays taken from all announcements of one author. [env: GRASP_SYNC_MAX_RELAYS_PER_AUTHOR] (default: 20)")
    var maxRelaysPerAuthor: Int?

    @Option(name: .customLong("max-dials-per-host-per-minute"), help: "Connection attempts to one host per minute, across all its relay URLs. [env: GRASP_SYNC_MAX_DIALS_PER_HOST_PER_MINUTE] (default: 4)")
    var maxDialsPerHostPerMinute: Int?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        func setting(_ name: String) -> String? { env["GRASP_SYNC_" + name].flatMap { $0.isEmpty ? nil : $0 } }
        func flag(_ name: String) -> Bool { ["1", "true", "yes", "on"].contains(setting(name)?.lowercased() ?? "") }
        func number<T>(_ name: String, _ parse: (String) -> T?) throws -> T? {
            guard let raw = setting(name) else { return nil }
            guard let value = parse(raw) else { throw ValidationError("GRASP_SYNC_\(name) '\(raw)' is not a number") }
            return value
        }

        let settings = Settings(env)
        var config = NodeConfiguration()
        try storeOptions.apply(to: &config, settings)
        try policyOptions.apply(to: &config, settings)
        dialOptions.apply(to: &config, settings)
        let bootstrap = (bootstrapRelay.isEmpty ? (setting("BOOTSTRAP_RELAY").map { [$0] } ?? []) : bootstrapRelay)
            .flatMap { $0.split(separator: ",").map(String.init) }
        config.bootstrapRelays = try bootstrap.map { raw in
            guard let url = RelayURL(raw) else { throw ValidationError("bootstrap relay '\(raw)' is not a ws:// or wss:// URL") }
            return url
        }
        if let ms = try syncBatchWindowMs ?? number("SYNC_BATCH_WINDOW_MS", Int.init) {
            guard ms > 0 else { throw ValidationError("--sync-batch-window-ms must be positive") }
            config.syncBatchWindowMilliseconds = ms
        }
        if let base = try syncBaseBackoffSecs ?? number("SYNC_BASE_BACKOFF_SECS", Double.init) {
            guard base > 0 else { throw ValidationError("--sync-base-backoff-secs must be positive") }
            config.syncBaseBackoffSeconds = base
        }
        if let max = try syncMaxBackoffSecs ?? number("SYNC_MAX_BACKOFF_SECS", Double.init) {
            guard max >= config.syncBaseBackoffSeconds else { throw ValidationError("--sync-max-backoff-secs must be at least the base backoff") }
            config.syncMaxBackoffSeconds = max
        }
        config.disableNegentropy = disableNegentropy || flag("DISABLE_NEGENTROPY")
        config.disableRelayWideResync = noRelayWideResync || flag("NO_RELAY_WIDE_RESYNC")
        if let count = try deferredMaxEvents ?? number("DEFERRED_MAX_EVENTS", Int.init) {
            guard count >= 0 else { throw ValidationError("--deferred-max-events must not be negative") }
            config.deferredMaxEvents = count
        }
        if let bytes = try deferredMaxBytes ?? number("DEFERRED_MAX_BYTES", Int.init) {
            guard bytes >= 0 else { throw ValidationError("--deferred-max-bytes must not be negative") }
            config.deferredMaxBytes = bytes
        }
        config.syncEnabled = !(noSync || flag("NO_SYNC"))
        if let rate = try maxEventsPerSecPerConnection ?? number("MAX_EVENTS_PER_SEC_PER_CONNECTION", Double.init) {
            guard rate > 0 else { throw ValidationError("--max-events-per-sec-per-connection must be positive") }
            config.eventsPerSecondPerConnection = rate
        }
        if let burst = try eventBurstPerConnection ?? number("EVENT_BURST_PER_CONNECTION", Int.init) {
            guard burst >= 1 else { throw ValidationError("--event-burst-per-connection must be at least 1") }
            config.eventBurstPerConnection = burst
        }
        if let rate = try maxEventsPerSecPerIP ?? number("MAX_EVENTS_PER_SEC_PER_IP", Double.init) {
            guard rate > 0 else { throw ValidationError("--max-events-per-sec-per-ip must be positive") }
            config.eventsPerSecondPerIP = rate
        }
        if let burst = try eventBurstPerIP ?? number("EVENT_BURST_PER_IP", Int.init) {
            guard burst >= 1 else { throw ValidationError("--event-burst-per-ip must be at least 1") }
            config.eventBurstPerIP = burst
        }
        if let count = try maxConnectionsPerIP ?? number("MAX_CONNECTIONS_PER_IP", Int.init) {
            guard count >= 1 else { throw ValidationError("--max-connections-per-ip must be at least 1") }
            config.maxConnectionsPerIP = count
        }
        if let count = try maxConnections ?? number("MAX_CONNECTIONS", Int.init) {
            guard count >= 1 else { throw ValidationError("--max-connections must be at least 1") }
            config.maxConnections = count
        }
        if let bytes = try maxFilterValueBytes ?? number("MAX_FILTER_VALUE_BYTES", Int.init) {
            guard bytes >= RequestLimits.minimumTagValueBytes else {
                throw ValidationError("--max-filter-value-bytes must be at least \(RequestLimits.minimumTagValueBytes)")
            }
            config.maxFilterValueBytes = bytes
        }
        if let count = try maxLiveSubscriptions ?? number("MAX_LIVE_SUBSCRIPTIONS", Int.init) {
            guard count >= 1 else { throw ValidationError("--max-live-subscriptions must be at least 1") }
            config.maxLiveSubscriptions = count
        }
        if let count = try maxTrackedRelays ?? number("MAX_TRACKED_RELAYS", Int.init) {
            guard count >= 1 else { throw ValidationError("--max-tracked-relays must be at least 1") }
            config.maxTrackedRelays = count
        }
        if let count = try maxRelaysPerAnnouncement ?? number("MAX_RELAYS_PER_ANNOUNCEMENT", Int.init) {
            guard count >= 0 else { throw ValidationError("--max-relays-per-announcement must not be negative") }
            config.maxRelaysPerAnnouncement = count
        }
        if let count = try maxRelaysPerAuthor ?? number("MAX_RELAYS_PER_AUTHOR", Int.init) {
            guard count >= 0 else { throw ValidationError("--max-relays-per-author must not be negative") }
            config.maxRelaysPerAuthor = count
        }
        if let count = try maxDialsPerHostPerMinute ?? number("MAX_DIALS_PER_HOST_PER_MINUTE", Int.init) {
            guard count >= 1 else { throw ValidationError("--max-dials-per-host-per-minute must be at least 1") }
            config.maxDialsPerHostPerMinute = count
        }
        if let header = trustedProxyHeader ?? setting("TRUSTED_PROXY_HEADER") {
            let name = header.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw ValidationError("--trusted-proxy-header '\(header)' is not a header name")
            }
            config.trustedProxyHeader = name
        }

        try boundsOptions.apply(to: &config, Settings())
        let logger = Logger(label: "grasp-sync")
        let node = try GraspSyncNode(configuration: config, logger: logger)
        try await node.run()
    }
}
