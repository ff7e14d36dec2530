/// The lifecycle of one remote relay in the sync engine, as a pure, synchronous value: the
/// connection status (the seed's ConnectionStatus: Disconnected, Connecting, Syncing,
/// Connected, ConnectedHistoricSyncFailures, plus Disconnecting while a relay is dropped),
/// the connection generation, and the timers that drive it (quick reconnect, completion
/// settle delay, daily resync).
///
/// | status \ input   | connectStarted | connected  | connectFailed   | connectionEnded | dropRequested    | tick (settled)      | dailyResyncDue  |
/// |------------------|----------------|------------|-----------------|-----------------|------------------|---------------------|-----------------|
/// | Disconnected     | -> Connecting  | -          | -               | -               | removeRelay      | -                   | -               |
/// | Connecting       | -              | -> Syncing | -> Disconnected | -               | -                | -                   | -               |
/// | Syncing          | -              | -          | -               | -> Disconnected | -> Disconnecting | -> Connected / CHSF | (stays Syncing) |
/// | Connected / CHSF | -              | -          | -               | -> Disconnected | -> Disconnecting | -                   | -> Syncing      |
/// | Disconnecting    | -              | -          | -               | removeRelay     | -                | -                   | -               |
///
/// (CHSF: ConnectedHistoricSyncFailures; "-": ignored, no action.)
///
/// Every input takes the current time as a value (`at now:`, Unix seconds) and every random
/// choice as a value (`dailyResyncDelay:`, `nextDelay:`), so the machine never reads a clock
/// or a random source. Inputs return the ``Action``s its owner (the sync coordinator)
/// carries out, in order; the machine does no I/O.
///
/// Each connection attempt gets a new ``generation``; inputs about a connection
/// (`connected`, `connectFailed`, `connectionEnded`, `batchFinished`) carry the generation
/// they belong to, and the machine ignores them (returns no action) when it is not the
/// current one: a late message from an old connection never changes the state of the new.
///
/// Differences from the reference, on purpose:
/// - quick reconnect vs fresh start is decided on the time since the last *disconnect*
///   (the reference measured from the last connect), and a quick reconnect catches up from
///   `disconnectedAt - catchUpMargin`;
/// - the daily resync is staggered per relay (a random delay drawn by the caller), puts a
///   connected relay back to Syncing, and re-evaluates Connected vs
///   ConnectedHistoricSyncFailures when it completes.
public struct RelayLifecycleStateMachine: Sendable, Equatable {
    /// The tunables.
    public let configuration: RelayLifecycleConfiguration
    /// The connection status.
    public internal(set) var status: RelayConnectionStatus = .disconnected
    /// Increments on every connection attempt; inputs of other generations are ignored.
    public internal(set) var generation = 0
    /// When the latest connection was established (nil: never connected).
    public internal(set) var connectedAt: Double?
    /// When the latest connection ended (or the relay was last seen, restored from saved
    /// state); nil while connected, and before the relay was ever seen.
    public internal(set) var disconnectedAt: Double?
    /// While syncing: when the relay was first found without pending work since it last had
    /// some (nil: busy, or not checked yet).
    public internal(set) var quietSince: Double?
    /// Whether a historic batch since the last fresh start ended with data missing (the
    /// completed sync is then ConnectedHistoricSyncFailures).
    public internal(set) var historicFailures = false
    /// When the next daily resync is due (nil: never connected).
    public internal(set) var nextDailyResync: Double?

    /// Creates the machine of a relay that was never connected (Disconnected).
    public init(configuration: RelayLifecycleConfiguration = RelayLifecycleConfiguration()) {
        self.configuration = configuration
    }

    /// Restores when the relay was last seen connected (saved state of an earlier run), so
    /// the first connection after a restart within the quick-reconnect window is a quick
    /// reconnect. Only before the first attempt (Disconnected, generation 0); ignored after.
    public mutating func restore(lastSeen: Double?) {
        guard status == .disconnected, generation == 0 else { return }
        disconnectedAt = lastSeen
    }

    // MARK: - Queries

    /// Whether `generation` is the current connection's.
    public func isCurrent(_ generation: Int) -> Bool { generation == self.generation }

    /// Whether the attempt of `generation` is the one in progress (Connecting, current
    /// generation): only then does its outcome count.
    public func isAttemptInProgress(_ generation: Int) -> Bool {
        status == .connecting && generation == self.generation
    }

    /// Whether the daily resync is due at `now` (only while connected).
    public func isDailyResyncDue(at now: Double) -> Bool {
        guard status.isConnected, let due = nextDailyResync else { return false }
        return now >= due
    }

    /// Moves to `to`; the status action, or none when the status does not change.
    mutating func transition(to new: RelayConnectionStatus, reason: String) -> [Action] {
        let old = status
        guard old != new else { return [] }
        status = new
        return [.statusChanged(from: old, to: new, reason: reason)]
    }
}
