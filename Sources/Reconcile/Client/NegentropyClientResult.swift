/// The ids a completed NIP-77 reconciliation found, deduplicated across rounds.
public struct NegentropyClientResult: Sendable, Equatable {
    /// Ids we hold that the relay lacks.
    public var have: [NegentropyID]
    /// Ids the relay holds that we lack (to fetch).
    public var need: [NegentropyID]
    /// Replies received from the relay.
    public var rounds: Int
    /// Bytes of negentropy payload (binary, before hex) sent and received.
    public var bytesSent: Int
    public var bytesReceived: Int

    public init(have: [NegentropyID] = [], need: [NegentropyID] = [], rounds: Int = 0, bytesSent: Int = 0, bytesReceived: Int = 0) {
        self.have = have
        self.need = need
        self.rounds = rounds
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
    }
}
