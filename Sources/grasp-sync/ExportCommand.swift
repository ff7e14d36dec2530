import App
import ArgumentParser
import Foundation
import Nostr

/// `grasp-sync export`: stored events as JSON lines, oldest first.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write stored events as JSON lines to standard output, in created_at order (oldest first).",
        discussion: "Safe while the node runs: events are read in pages, each in its own short read transaction.")

    @Option(name: .customLong("filter"), help: "A Nostr filter (JSON object) the events must match, e.g. '{\"kinds\":[30617]}'. (default: every event)")
    var filter: String?

    @Option(name: .customLong("since"), help: "Only events with created_at at or after this (Unix seconds).")
    var since: Int64?

    @Option(name: .customLong("until"), help: "Only events with created_at at or before this (Unix seconds).")
    var until: Int64?

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let settings = Settings()
        var config = NodeConfiguration()
        try storeOptions.apply(to: &config, settings, defaultLevel: .warning)
        let selection = try parseFilter(filter, since: since, until: until, fallback: Filter())
        try await runTool("export") {
            let local = try LocalNodeStore.open(config, mustExist: true)
            let progress = TerminalProgress()
            let count = try EventExporter(store: local.store).run(filter: selection, to: FileHandle.standardOutput) { n in
                progress.show(progress.rateAndETA(count: n, fraction: nil))
            }
            progress.finish()
            printError("exported \(count) events in \(String(format: "%.1f", progress.elapsed)) s")
        }
    }
}
