import App
import ArgumentParser
import Foundation
import Relay

/// `grasp-sync`: the node (default subcommand `serve`) and the operator's tools.
@main
struct GraspSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grasp-sync",
        abstract: "A Nostr relay for NIP-34 git collaboration events with GRASP-02 proactive sync.",
        discussion: """
            Without a subcommand grasp-sync runs the node (as `grasp-sync serve`). The tools work on the \
            same --data-dir, also while the node runs. Every option can also be set with an environment \
            variable GRASP_SYNC_<OPTION>, e.g. GRASP_SYNC_DATA_DIR=/var/lib/grasp-sync.
            """,
        version: GraspSyncVersion.current,
        subcommands: [GraspSyncCommand.self, ImportCommand.self, ExportCommand.self, SyncCommand.self, StatusCommand.self],
        defaultSubcommand: GraspSyncCommand.self)
}

/// Runs a tool's body; a `ToolError` is printed as `grasp-sync <tool>: <message>` and exits 1.
func runTool(_ name: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ToolError {
        printError("grasp-sync \(name): \(error.description)")
        throw ExitCode(1)
    }
}
