import Nostr

/// How one historic batch ended, as a relay's reconciler reports it on the scheduler's
/// report stream (``RelayReconciler/runBatches(reportingTo:)``).
public struct HistoricReport: Sendable, Equatable {
    public let relay: RelayURL
    public let batchID: Int
    /// The connection the batch was sized for.
    public let generation: Int
    public let outcome: HistoricOutcome

    public init(relay: RelayURL, batchID: Int, generation: Int, outcome: HistoricOutcome) {
        self.relay = relay
        self.batchID = batchID
        self.generation = generation
        self.outcome = outcome
    }
}
