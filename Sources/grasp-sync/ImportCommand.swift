import App
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `grasp-sync import`: JSON lines of events into the data directory.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load events (JSON lines) into the data directory, through verification and the acceptance policy.",
        discussion: """
            Reads one event per line from --file or standard input. Every event is verified; unless \
            --no-policy is given it must also pass the node's acceptance policy (as if a client had \
            published it), with the same --service-url/--archive settings as the node. Lines that are \
            not events are skipped and counted; the exit status is then 1. Safe while the node runs.
            """)

    @Option(name: .customLong("file"), help: "File of JSON lines to read; '-' or none: standard input.")
    var file: String?

    @Flag(name: .customLong("no-policy"), help: "Skip the acceptance policy (restore an archive): verification only.")
    var noPolicy = false

    @Option(name: .customLong("batch-size"), help: "Events per write transaction.")
    var batchSize = 1_000

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var policyOptions: PolicyOptions

    func run() async throws {
        let settings = Settings()
        var config = NodeConfiguration()
        try storeOptions.apply(to: &config, settings, defaultLevel: .warning)
        try policyOptions.apply(to: &config, settings)
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if file == nil || file == "-", isatty(STDIN_FILENO) == 1 {
            throw ValidationError("standard input is a terminal: pipe events in (grasp-sync import < events.jsonl) or pass --file")
        }
        try await runTool("import") {
            let reader = try JSONLineReader(path: file)
            let local = try LocalNodeStore.open(config, mustExist: false)
            let importer = EventImporter(local: local, applyPolicy: !noPolicy, batchSize: batchSize)
            let progress = TerminalProgress()
            let tally = try importer.run(reader) { p in
                let fraction = p.totalBytes.flatMap { $0 > 0 ? Double(p.bytesRead) / Double($0) : nil }
                progress.show((fraction.map { TerminalProgress.bar($0) + "  " } ?? "")
                    + progress.rateAndETA(count: p.lines, fraction: fraction)
                    + "  stored \(p.tally.stored), duplicate \(p.tally.duplicate), refused \(p.tally.refusedTotal)")
            }
            progress.finish()
            let seconds = progress.elapsed
            print("imported \(tally.total) events from \(file.flatMap { $0 == "-" ? nil : $0 } ?? "standard input") in \(String(format: "%.1f", seconds)) s (\(Int(Double(tally.total) / max(seconds, 0.001))) events/s)\(noPolicy ? ", acceptance policy off" : "")")
            for line in tally.summaryLines() { print(line) }
            let unparsable = tally.refused.filter { $0.key.hasPrefix("invalid: not an event") }.values.reduce(0, +)
            if unparsable > 0 {
                printError("grasp-sync import: \(unparsable) line(s) were not events (see the refused counts)")
                throw ExitCode(1)
            }
        }
    }
}
