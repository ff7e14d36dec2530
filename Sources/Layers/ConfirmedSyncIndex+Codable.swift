import Nostr

/// Codable form, deterministic (relays sorted; see ``RelaySyncNeeds`` for each entry):
/// `{"relays":[{"relay":"wss://…","needs":{"repos":[…],"rootEvents":[…]}}]}`.
/// Relay URLs are re-normalised on decoding; an unparsable URL or repo ref is an error.
extension ConfirmedSyncIndex: Codable {
    private enum CodingKeys: String, CodingKey { case relays }

    private struct RelayRecord: Codable {
        var relay: String
        var needs: RelaySyncNeeds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        for record in try container.decodeIfPresent([RelayRecord].self, forKey: .relays) ?? [] {
            guard let url = RelayURL(record.relay) else {
                throw DecodingError.dataCorruptedError(forKey: .relays, in: container,
                                                       debugDescription: "invalid relay URL \(record.relay)")
            }
            byRelay[url, default: RelaySyncNeeds()].formUnion(record.needs)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(relays.map { RelayRecord(relay: $0.description, needs: byRelay[$0]!) }, forKey: .relays)
    }
}
