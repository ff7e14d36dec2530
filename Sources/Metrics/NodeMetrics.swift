import Foundation
import Health
import Nostr
import Prometheus

/// Owns the node's Prometheus registry content: every sync, rejected-index and served-relay
/// metric (names in ``NodeMetricNames``, reference in `docs/metrics.md`).
///
/// No other stage touches the registry (docs/architecture.md). They report through ``NodeEvent``s,
/// either as a stream consumed by ``run(events:)`` or synchronously through ``record(_:)``
/// and the served-relay methods (``connectionOpened()`` …). The coordinator calls
/// ``apply(_:)`` on every tick with a ``SyncMetricsSnapshot`` of its state.
///
/// ## Gauges are derived from state
/// Every gauge is set from the latest snapshot, never incremented or decremented from
/// events, so none can go stale (decisions: Gauges derived from state). A relay that is not in a snapshot has
/// **all** its per-relay series removed from the registry (`unregisterGauge` /
/// `unregisterCounter`): `ngit_sync_relay_connected`, `ngit_sync_relay_status`,
/// `ngit_sync_relay_failures` and both `ngit_sync_connection_attempts_total` series.
/// Removal, not zeroing: a zero would read as "disconnected" (or "healthy failures") for a
/// relay the node no longer has, and zeroed series of every relay ever seen would pile up.
/// Prometheus marks a vanished series stale by itself; a relay that comes back starts its
/// attempt counters at 0, which `rate()` treats as a counter reset.
///
/// Events carry no ordering guarantee against a direct ``apply(_:)`` call: an event for a
/// relay removed in the same instant can re-create that relay's series, which the next
/// snapshot removes again. Sending snapshots through the same stream
/// (``NodeEvent/snapshot(_:)``) keeps them ordered with the events.
///
/// ## Registration
/// The metrics are created on the registry in `init`. Creating a second ``NodeMetrics`` on a
/// registry that already holds any of these names throws
/// ``NodeMetricsError/alreadyRegistered(_:)``. Deinitialising a ``NodeMetrics`` removes its
/// metrics from the registry again. Never calls `MetricsSystem.bootstrap`: the executable
/// may bootstrap swift-metrics with a `PrometheusMetricsFactory` on the same registry, and
/// its metrics then appear in ``exposition()`` too.
///
/// Thread-safe: all methods may be called from any task or thread.
public final class NodeMetrics: @unchecked Sendable {
    /// The HTTP `Content-Type` of ``exposition()``: Prometheus text format 0.0.4.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The most distinct `kind` label values of `grasp_relay_events_stored_total`; later
    /// kinds are counted under `kind="other"`, so clients cannot grow the series set.
    public static let maxKindSeries = 256

    /// The registry the metrics live on. Read it only to emit or to share it with a
    /// swift-metrics factory; create no `ngit_sync_*`/`grasp_relay_*` metric on it.
    public let registry: PrometheusCollectorRegistry

    /// Serialises every access to ``state``.
    private let lock = NSLock()
    /// The labelled series and the served-relay counts; guarded by ``lock``.
    private var state: State

    private let eventsSynced: Counter
    private let relaysTracked: Gauge
    private let relaysConnected: Gauge
    private let relaysDead: Gauge
    private let servedConnectionsOpen: Gauge
    private let servedNegentropySessionsOpen: Gauge
    private let servedNegentropySessionsOpened: Counter

    /// Serialises the already-registered check and the registration across instances.
    private static let registrationLock = NSLock()

    /// Creates every metric on `registry`.
    ///
    /// Series with fixed label values (naughty categories, `event_type`, known verbs and
    /// prefixes) and the unlabelled metrics are created at once with value 0, so they are
    /// exported (and `rate()` works) before anything happened.
    ///
    /// - Parameter registry: the registry to register on; a fresh one by default.
    /// - Throws: ``NodeMetricsError/alreadyRegistered(_:)`` when the registry already holds
    ///   a metric with one of the ``NodeMetricNames/all`` names.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) throws(NodeMetricsError) {
        Self.registrationLock.lock()
        defer { Self.registrationLock.unlock() }

        let existing = Self.registeredNames(in: registry).intersection(NodeMetricNames.all)
        guard existing.isEmpty else {
            throw .alreadyRegistered(NodeMetricNames.all.filter(existing.contains))
        }

        self.registry = registry
        func gauge(_ name: String, _ help: String) -> Gauge {
            Gauge.make(name: name, help: help, labels: [], on: registry)
        }
        func counter(_ name: String, _ help: String) -> Counter {
            Counter.make(name: name, help: help, labels: [], on: registry)
        }
        eventsSynced = counter(
            NodeMetricNames.eventsSynced, "Events newly saved by the sync pipeline (duplicates and rejections not counted)")
        relaysTracked = gauge(NodeMetricNames.relaysTracked, "Remote relays tracked by the sync engine")
        relaysConnected = gauge(
            NodeMetricNames.relaysConnected,
            "Remote relays with live sync active (status syncing, connected or connected_historic_sync_failures)")
        relaysDead = gauge(NodeMetricNames.relaysDead, "Remote relays whose health is dead (failing for 24 h)")
        servedConnectionsOpen = gauge(NodeMetricNames.servedConnectionsOpen, "Open client WebSocket connections")
        servedNegentropySessionsOpen = gauge(
            NodeMetricNames.servedNegentropySessionsOpen, "Open NIP-77 negentropy sessions of clients")
        servedNegentropySessionsOpened = counter(
            NodeMetricNames.servedNegentropySessionsOpened, "NIP-77 negentropy sessions opened by clients")

        state = State()
        state.createFixedSeries(on: registry)
    }

    deinit {
        Self.registrationLock.lock()
        defer { Self.registrationLock.unlock() }
        state.removeAll(from: registry)
        for gauge in [relaysTracked, relaysConnected, relaysDead, servedConnectionsOpen, servedNegentropySessionsOpen] {
            registry.unregisterGauge(gauge)
        }
        registry.unregisterCounter(eventsSynced)
        registry.unregisterCounter(servedNegentropySessionsOpened)
    }

    /// The names of the metric families `registry` currently emits a `# TYPE` line for.
    static func registeredNames(in registry: PrometheusCollectorRegistry) -> Set<String> {
        var names = Set<String>()
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix("# TYPE ") {
            if let name = line.dropFirst("# TYPE ".count).split(separator: " ").first {
                names.insert(String(name))
            }
        }
        return names
    }

    // MARK: Exposition

    /// All metrics of the registry in the Prometheus text exposition format 0.0.4, to be
    /// served with ``contentType``.
    public func exposition() -> String {
        registry.emitToString()
    }

    // MARK: Events

    /// Consumes `events` until the stream finishes, recording each one.
    ///
    /// Returns when the stream is finished (or the task is cancelled and the stream ends).
    public func run(events: AsyncStream<NodeEvent>) async {
        for await event in events {
            record(event)
        }
    }

    /// Records one event synchronously.
    public func record(_ event: NodeEvent) {
        switch event {
        case .connectionAttempt(let relay, let result):
            withState { state, registry in
                state.ensureAttemptSeries(relay.description, on: registry)
                state.attempts.series([relay.description, result.rawValue], on: registry).increment()
            }
        case .eventsSynced(_, let count):
            if count > 0 { eventsSynced.increment(by: Int64(count)) }
        case .connectionStatusChanged(let relay, let status):
            withState { state, registry in
                state.relayConnected.series([relay.description], on: registry).set(to: Double(status.rawValue))
            }
        case .healthStatusChanged(let relay, let health):
            withState { state, registry in
                state.relayStatus.series([relay.description], on: registry).set(to: Double(health.rawValue))
            }
        case .relayRemoved(let relay):
            let label = relay.description
            withState { state, registry in state.removeRelays(from: registry) { $0 == label } }
        case .snapshot(let snapshot):
            apply(snapshot)
        case .naughtyListChanged(.listed(let entry)):
            withState { state, registry in state.listNaughty(NaughtyRelayMetric(entry), on: registry) }
        case .naughtyListChanged(.removed(let url)):
            let label = RelayURL(url)?.description ?? url
            withState { state, registry in state.unlistNaughty(label, on: registry) }
        case .rejectedHotCacheHits(let type, let count):
            incrementRejected(\.rejectedHotCacheHits, type, by: count)
        case .rejectedHotCacheMiss(let type):
            incrementRejected(\.rejectedHotCacheMisses, type, by: 1)
        case .rejectedEntriesExpired(.hot, let type, let count):
            incrementRejected(\.rejectedHotCacheExpired, type, by: count)
        case .rejectedEntriesExpired(.cold, let type, let count):
            incrementRejected(\.rejectedColdIndexExpired, type, by: count)
        case .rejectedEntriesInvalidated(let type, let count):
            incrementRejected(\.rejectedInvalidated, type, by: count)
        case .servedConnectionOpened:
            connectionOpened()
        case .servedConnectionClosed:
            connectionClosed()
        case .servedMessageReceived(let verb):
            messageReceived(verb: verb)
        case .servedEventStored(let kind):
            eventStored(kind: kind)
        case .servedEventRefused(let prefix):
            eventRefused(prefix: prefix)
        case .servedNegentropySessionOpened:
            negentropySessionOpened()
        case .servedNegentropySessionClosed:
            negentropySessionClosed()
        case .servedEventRateLimited(let scope):
            eventRateLimited(scope: scope)
        case .servedConnectionRefused(let reason):
            connectionRefused(reason: reason)
        }
    }

    // MARK: Snapshot

    /// Sets every state-derived metric from `snapshot`, the node's state at this tick.
    ///
    /// - Per tracked relay: `ngit_sync_relay_connected` (``Health/RelayConnectionStatus``
    ///   raw value 0-5), `ngit_sync_relay_status` (``Health/RelayHealthStatus`` raw value
    ///   1-5), `ngit_sync_relay_failures`; both `ngit_sync_connection_attempts_total` series
    ///   exist from the relay's first snapshot on.
    /// - Relays not in the snapshot: every per-relay series is removed from the registry.
    /// - `ngit_sync_relays_tracked_total`, `…_connected_total`, `…_dead_total`: recomputed
    ///   from the relays (``SyncMetricsSnapshot/trackedTotal`` …).
    /// - `ngit_sync_naughty_relays_total` (all categories) and `ngit_sync_naughty_relay_info`:
    ///   rebuilt from the naughty relays; series of relays no longer listed are removed.
    /// - `ngit_sync_rejected_{hot_cache,cold_index}_current{event_type}`: set per type.
    /// - `grasp_deferred_events`, `grasp_deferred_bytes`: set; `grasp_deferred_events_total{outcome}`:
    ///   advanced to the snapshot's cumulative counts.
    public func apply(_ snapshot: SyncMetricsSnapshot) {
        let relays = snapshot.distinctRelays
        let present = Set(relays.map(\.url.description))
        withState { state, registry in
            state.removeRelays(from: registry) { !present.contains($0) }
            for relay in relays {
                let label = relay.url.description
                state.relayConnected.series([label], on: registry).set(to: Double(relay.connectionStatus.rawValue))
                state.relayStatus.series([label], on: registry).set(to: Double(relay.health.rawValue))
                state.relayFailures.series([label], on: registry).set(to: Double(max(relay.consecutiveFailures, 0)))
                state.ensureAttemptSeries(label, on: registry)
            }
            state.applyNaughty(snapshot, on: registry)
            state.applyRejectedSizes(snapshot.rejectedIndex, on: registry)
            state.applyDeferred(snapshot.deferredIndex, on: registry)
            // Under the lock too, so concurrent snapshots cannot mix relays of one with totals
            // of the other.
            relaysTracked.set(to: Double(relays.count))
            relaysConnected.set(to: Double(snapshot.connectedTotal))
            relaysDead.set(to: Double(snapshot.deadTotal))
        }
    }

    // MARK: Served relay

    /// A client WebSocket connection was opened (`grasp_relay_connections_open` + 1).
    public func connectionOpened() {
        withState { state, _ in
            state.openConnections += 1
            servedConnectionsOpen.set(to: Double(state.openConnections))
        }
    }

    /// A client WebSocket connection was closed (`grasp_relay_connections_open` − 1, never
    /// below 0).
    public func connectionClosed() {
        withState { state, _ in
            state.openConnections = max(state.openConnections - 1, 0)
            servedConnectionsOpen.set(to: Double(state.openConnections))
        }
    }

    /// A client message arrived (`grasp_relay_messages_received_total{verb}`). Verbs other
    /// than the NIP-01/NIP-45/NIP-42/NIP-77 client verbs and `INVALID` count as `OTHER`.
    public func messageReceived(verb: String) {
        let label = Self.verbLabel(verb)
        withState { state, registry in state.messagesReceived.series([label], on: registry).increment() }
    }

    /// A client event of `kind` was stored (`grasp_relay_events_stored_total{kind}`).
    /// Kinds outside 0…65535, or beyond ``maxKindSeries`` distinct kinds, count as `other`.
    public func eventStored(kind: Int) {
        withState { state, registry in
            var label = (0...65_535).contains(kind) ? String(kind) : "other"
            if state.eventsStored.members[[label]] == nil, state.eventsStored.members.count >= Self.maxKindSeries {
                label = "other"
            }
            state.eventsStored.series([label], on: registry).increment()
        }
    }

    /// A client event was refused (`grasp_relay_events_refused_total{prefix}`). `prefix` is
    /// the NIP-01 machine-readable prefix (`blocked`, `invalid`, …; a whole `"prefix: text"`
    /// message is accepted too); unknown prefixes count as `other`.
    public func eventRefused(prefix: String) {
        let label = Self.prefixLabel(prefix)
        withState { state, registry in state.eventsRefused.series([label], on: registry).increment() }
    }

    /// The `scope` labels of `grasp_relay_events_rate_limited_total` (the served relay's
    /// write budgets); others count as `other`.
    public static let rateLimitScopes = ["connection", "ip"]
    /// The `reason` labels of `grasp_relay_connections_refused_total`; others count as `other`.
    public static let connectionRefusalReasons = ["per_ip", "total"]

    /// A client event was refused by the `scope` write budget
    /// (`grasp_relay_events_rate_limited_total{scope}` and
    /// `grasp_relay_events_refused_total{prefix="rate-limited"}`).
    public func eventRateLimited(scope: String) {
        let label = Self.rateLimitScopes.contains(scope) ? scope : "other"
        withState { state, registry in
            state.eventsRateLimited.series([label], on: registry).increment()
            state.eventsRefused.series([MachineReadablePrefix.rateLimited.rawValue], on: registry).increment()
        }
    }

    /// A client's WebSocket upgrade was refused by a connection cap
    /// (`grasp_relay_connections_refused_total{reason}`).
    public func connectionRefused(reason: String) {
        let label = Self.connectionRefusalReasons.contains(reason) ? reason : "other"
        withState { state, registry in state.connectionsRefused.series([label], on: registry).increment() }
    }

    /// A client opened a NIP-77 session (`grasp_relay_negentropy_sessions_open` + 1,
    /// `grasp_relay_negentropy_sessions_opened_total` + 1).
    public func negentropySessionOpened() {
        withState { state, _ in
            state.openNegentropySessions += 1
            servedNegentropySessionsOpen.set(to: Double(state.openNegentropySessions))
        }
        servedNegentropySessionsOpened.increment()
    }

    /// A NIP-77 session ended (`grasp_relay_negentropy_sessions_open` − 1, never below 0).
    public func negentropySessionClosed() {
        withState { state, _ in
            state.openNegentropySessions = max(state.openNegentropySessions - 1, 0)
            servedNegentropySessionsOpen.set(to: Double(state.openNegentropySessions))
        }
    }

    // MARK: Helpers

    /// The verbs counted under their own label.
    static let knownVerbs = ["EVENT", "REQ", "CLOSE", "COUNT", "AUTH", "NEG-OPEN", "NEG-MSG", "NEG-CLOSE", "INVALID"]

    /// The `verb` label for `verb`.
    static func verbLabel(_ verb: String) -> String {
        let upper = verb.uppercased()
        return knownVerbs.contains(upper) ? upper : "OTHER"
    }

    /// The `prefix` label for a machine-readable prefix or a whole `"prefix: text"` message.
    static func prefixLabel(_ prefix: String) -> String {
        let head = prefix.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let name = head.trimmingCharacters(in: .whitespaces).lowercased()
        return MachineReadablePrefix(rawValue: name)?.rawValue ?? "other"
    }

    private func incrementRejected(
        _ family: WritableKeyPath<State, SeriesFamily<Counter>>, _ type: RejectedIndexEventType, by count: Int
    ) {
        guard count > 0 else { return }
        withState { state, registry in
            state[keyPath: family].series([type.rawValue], on: registry).increment(by: Int64(count))
        }
    }

    private func withState<T>(_ body: (inout State, PrometheusCollectorRegistry) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state, registry)
    }
}
