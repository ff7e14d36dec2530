/// The tunables of ``RelayLifecycleStateMachine``: how long a disconnect may last and still
/// be caught up from where it stopped, and how long a syncing relay must stay quiet before
/// its historic sync counts as complete.
public struct RelayLifecycleConfiguration: Sendable, Equatable {
    /// A reconnect less than this long (seconds) after the last disconnect is a quick
    /// reconnect (catch up from the disconnect); at or past it, a fresh start.
    public var quickReconnectWindow: Double
    /// How far (seconds) before the disconnect a quick reconnect's catch-up starts, for
    /// events the relay stored late or with skewed timestamps.
    public var catchUpMargin: Double
    /// How long (seconds) a syncing relay must have no pending work, checked on two ticks
    /// at least this far apart, before it moves to Connected: batches the self-subscriber
    /// is about to create for just-received events get their chance first.
    public var settleDelay: Double

    /// Creates a configuration; the defaults are the node's (15 min, 15 min, 6 s).
    public init(quickReconnectWindow: Double = 900, catchUpMargin: Double = 900, settleDelay: Double = 6) {
        self.quickReconnectWindow = quickReconnectWindow
        self.catchUpMargin = catchUpMargin
        self.settleDelay = settleDelay
    }
}
