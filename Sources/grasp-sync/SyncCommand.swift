import App
import ArgumentParser
import Foundation

/// `grasp-sync sync <relay-url>`: a one-shot reconciliation with a relay.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Reconcile the data directory with a relay once (NIP-77, REQ/EOSE fallback).")

    func run() async throws {
        throw ValidationError("not implemented yet")
    }
}
