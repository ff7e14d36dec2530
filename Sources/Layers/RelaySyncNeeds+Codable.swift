import Nostr

/// Codable form, deterministic (repos and root events sorted), for persistence (decisions: Restart is a quick
/// reconnect):
/// `{"repos":[{"ref":"30617:<pk>:<d>","level":2}],"rootEvents":["<id>"]}`.
extension RelaySyncNeeds: Codable {
    private enum CodingKeys: String, CodingKey { case repos, rootEvents }

    private struct RepoLevel: Codable {
        var ref: String
        var level: SyncLevel
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let list = try container.decodeIfPresent([RepoLevel].self, forKey: .repos) ?? []
        var repos: [RepoRef: SyncLevel] = [:]
        for item in list {
            guard let ref = RepoRef(item.ref) else {
                throw DecodingError.dataCorruptedError(forKey: .repos, in: container,
                                                       debugDescription: "invalid repo reference \(item.ref)")
            }
            repos[ref] = max(repos[ref] ?? item.level, item.level)
        }
        self.init(repos: repos,
                  rootEvents: Set(try container.decodeIfPresent([String].self, forKey: .rootEvents) ?? []))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let list = repos.keys.sorted().map { RepoLevel(ref: $0.description, level: repos[$0]!) }
        try container.encode(list, forKey: .repos)
        try container.encode(rootEvents.sorted(), forKey: .rootEvents)
    }
}
