/// How a historic batch's network work ended.
public enum HistoricOutcome: Sendable, Equatable {
    /// Everything requested arrived.
    case complete
    /// The batch finished but some data could not be obtained (retries exhausted, a
    /// subscription refused or timed out): confirm it as failed.
    case failed(String)
    /// The connection went away: the batch was dropped with it.
    case aborted
}
