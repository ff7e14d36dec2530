import Foundation
import Logging
import Nostr

/// Everything an operator can set on a node (flags and `GRASP_SYNC_*` variables map here).
public struct NodeConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on (0 picks a free one).
    public var port: Int
    /// Directory holding the SQLite database and saved state.
    public var dataDirectory: URL
    /// Public URL(s) of this relay; announcements must list one. Default `ws://<host>:<port>`.
    public var serviceURLs: [RelayURL]
    /// Also require an http(s) clone URL on a service host in announcements.
    public var requireCloneListing: Bool
    /// GRASP-05 archive mode: accept every valid announcement.
    public var archive: Bool
    /// Log level.
    public var logLevel: Logger.Level

    public init(host: String = "127.0.0.1", port: Int = 7447, dataDirectory: URL = URL(fileURLWithPath: "data"),
                serviceURLs: [RelayURL] = [], requireCloneListing: Bool = false, archive: Bool = false,
                logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.serviceURLs = serviceURLs
        self.requireCloneListing = requireCloneListing
        self.archive = archive
        self.logLevel = logLevel
    }

    /// The service URLs in effect: the configured ones, or `ws://<host>:<port>`.
    public var effectiveServiceURLs: [RelayURL] {
        if !serviceURLs.isEmpty { return serviceURLs }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return RelayURL("ws://\(hostPart):\(port)").map { [$0] } ?? []
    }

    /// The SQLite database file.
    public var databasePath: String { dataDirectory.appendingPathComponent("grasp-sync.sqlite").path }

    /// Where the rejected-events index is saved between runs.
    public var rejectedIndexURL: URL { dataDirectory.appendingPathComponent("rejected-events-cache.json") }
}
