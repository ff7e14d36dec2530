import App
import ArgumentParser
import Foundation
import Logging
import Nostr
import Transport

/// `grasp-sync sync <relay-url>`: a one-shot reconciliation with a relay.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Reconcile the data directory with a relay once (NIP-77, REQ/EOSE fallback).",
        discussion: """
            Uses NIP-77 negentropy to find what each side lacks, then fetches (--dir down, the default), \
            sends (--dir up) or both. Relays without NIP-77 are paged with REQ/EOSE instead (up then \
            offers every matching event). Fetched events go through verification and the acceptance \
            policy, as in the node. The default filter is every NIP-34 kind the node keeps; pass \
            --filter '{}' for everything. Safe while the node runs on the same --data-dir.
            """)

    @Argument(help: "The relay to sync with (ws:// or wss://).")
    var relayURL: String

    @Option(name: .customLong("filter"), help: "A Nostr filter (JSON object) limiting what is reconciled.")
    var filter: String?

    @Option(name: .customLong("dir"), help: "down (fetch what the relay has), up (send what it lacks) or both. (default: down)")
    var direction: String = "down"

    @Flag(name: .customLong("dry-run"), help: "Only count what each side lacks; move nothing.")
    var dryRun = false

    @Flag(name: .customLong("disable-negentropy"), help: "Do not try NIP-77; REQ/EOSE only. [env: GRASP_SYNC_DISABLE_NEGENTROPY]")
    var disableNegentropy = false

    @Option(name: .customLong("timeout"), help: "Seconds a request may go unanswered. (default: 30)")
    var timeout: Double = 30

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var policyOptions: PolicyOptions
    @OptionGroup var dialOptions: DialOptions

    /// Kinds the node keeps (NIP-34 and what hangs off it), the default filter.
    static let defaultKinds: [Int] = [5, 1111, 1617, 1618, 1619, 1621, 1622, 1630, 1631, 1632, 1633, 10317, 30617, 30618]

    func run() async throws {
        let settings = Settings()
        var config = NodeConfiguration()
        try storeOptions.apply(to: &config, settings, defaultLevel: .warning)
        try policyOptions.apply(to: &config, settings)
        dialOptions.apply(to: &config, settings)
        guard let relay = RelayURL(relayURL) else {
            throw ValidationError("'\(relayURL)' is not a ws:// or wss:// relay URL")
        }
        guard let dir = SyncDirection(rawValue: direction.lowercased()) else {
            throw ValidationError("--dir must be down, up or both, not '\(direction)'")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        let selection = try parseFilter(filter, since: nil, until: nil, fallback: Filter(kinds: Self.defaultKinds))
        let options = OneShotSyncOptions(
            filter: selection, direction: dir, dryRun: dryRun,
            negentropy: !(disableNegentropy || settings.flag("DISABLE_NEGENTROPY")), requestTimeout: timeout)
        try await runTool("sync") {
            let local = try LocalNodeStore.open(config, mustExist: dir == .up)
            let transport = WebSocketRelayTransport(
                configuration: WebSocketTransportConfiguration(
                    addressPolicy: AddressPolicy(allowPrivate: config.allowPrivateRelays, allowedHosts: config.allowedRelayHosts)),
                logger: Logger(label: "grasp-sync.sync"))
            let display = TerminalProgress()
            let shared = ProgressLine(display)
            let sync = OneShotSync(local: local, transport: transport, relay: relay, options: options,
                                   progress: { shared.show($0) })
            let report = try await sync.run()
            display.finish()
            for line in report.summaryLines(relay: relay, options: options) { print(line) }
            print(String(format: "took %.1f s", display.elapsed))
        }
    }
}

/// Progress callbacks arrive from several tasks: one lock around the display.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let display: TerminalProgress
    init(_ display: TerminalProgress) { self.display = display }
    func show(_ text: String) { lock.withLock { display.show(text) } }
}
