import App
import ArgumentParser
import Relay

/// Timeouts and bounds of the served endpoint and of shutdown (`docs/operations.md`,
/// "Bounds and timeouts").
struct BoundsOptions: ParsableArguments {
    @Option(name: .customLong("close-timeout-secs"), help: "Seconds a WebSocket client has to answer our close frame before the connection is dropped. [env: GRASP_SYNC_CLOSE_TIMEOUT_SECS] (default: 5)")
    var closeTimeoutSecs: Double?

    @Option(name: .customLong("shutdown-timeout-secs"), help: "Seconds a SIGTERM shutdown waits for connections and sync to end before cancelling them. [env: GRASP_SYNC_SHUTDOWN_TIMEOUT_SECS] (default: 10)")
    var shutdownTimeoutSecs: Double?

    @Option(name: .customLong("header-timeout-secs"), help: "Seconds a new connection has to send its complete request head (else 408). [env: GRASP_SYNC_HEADER_TIMEOUT_SECS] (default: 10)")
    var headerTimeoutSecs: Double?

    @Option(name: .customLong("max-header-bytes"), help: "Largest request head (request line and headers; else 431). [env: GRASP_SYNC_MAX_HEADER_BYTES] (default: 16384)")
    var maxHeaderBytes: Int?

    @Option(name: .customLong("negentropy-idle-timeout-secs"), help: "Seconds a served NIP-77 session may sit idle before it is closed. [env: GRASP_SYNC_NEGENTROPY_IDLE_TIMEOUT_SECS] (default: 300)")
    var negentropyIdleTimeoutSecs: Double?

    @Option(name: .customLong("max-negentropy-items-total"), help: "Items all served NIP-77 sessions together may hold; past it NEG-OPEN gets rate-limited:. [env: GRASP_SYNC_MAX_NEGENTROPY_ITEMS_TOTAL] (default: 4000000)")
    var maxNegentropyItemsTotal: Int?

    func apply(to config: inout NodeConfiguration, _ settings: Settings) throws {
        func positive(_ value: Double?, _ name: String, _ flag: String) throws -> Double? {
            guard let value = try value ?? settings.number(name, Double.init) else { return nil }
            guard value > 0 else { throw ValidationError("--\(flag) must be positive") }
            return value
        }
        if let v = try positive(closeTimeoutSecs, "CLOSE_TIMEOUT_SECS", "close-timeout-secs") { config.serverTimeouts.closeTimeout = v }
        if let v = try positive(shutdownTimeoutSecs, "SHUTDOWN_TIMEOUT_SECS", "shutdown-timeout-secs") { config.shutdownTimeoutSeconds = v }
        if let v = try positive(headerTimeoutSecs, "HEADER_TIMEOUT_SECS", "header-timeout-secs") { config.serverTimeouts.headerReadTimeout = v }
        if let v = try positive(negentropyIdleTimeoutSecs, "NEGENTROPY_IDLE_TIMEOUT_SECS", "negentropy-idle-timeout-secs") {
            config.negentropyIdleTimeoutSeconds = v
        }
        if let v = try maxHeaderBytes ?? settings.number("MAX_HEADER_BYTES", Int.init) {
            guard v >= 1024 else { throw ValidationError("--max-header-bytes must be at least 1024") }
            config.serverTimeouts.maxHeaderBytes = v
        }
        if let v = try maxNegentropyItemsTotal ?? settings.number("MAX_NEGENTROPY_ITEMS_TOTAL", Int.init) {
            guard v >= 1 else { throw ValidationError("--max-negentropy-items-total must be at least 1") }
            config.maxNegentropyItemsTotal = v
        }
    }
}
