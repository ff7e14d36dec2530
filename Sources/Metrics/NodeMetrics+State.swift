import Health
import Nostr
import Prometheus

extension NodeMetrics {
    /// The labelled series ``NodeMetrics`` created and the served-relay counts behind its
    /// gauges. Every access happens under the owner's lock.
    struct State {
        var relayConnected = SeriesFamily<Gauge>(
            NodeMetricNames.relayConnected,
            help: "Relay connection status (0=disconnected, 1=connecting, 2=syncing, 3=connected, "
                + "4=connected_historic_sync_failures, 5=disconnecting)",
            labels: ["relay"])
        var relayStatus = SeriesFamily<Gauge>(
            NodeMetricNames.relayStatus,
            help: "Relay health status (1=healthy, 2=disconnected, 3=degraded, 4=dead, 5=rate_limited)",
            labels: ["relay"])
        var relayFailures = SeriesFamily<Gauge>(
            NodeMetricNames.relayFailures, help: "Current consecutive failure count of the relay", labels: ["relay"])
        var attempts = SeriesFamily<Counter>(
            NodeMetricNames.connectionAttempts, help: "Connection attempts to the relay by result",
            labels: ["relay", "result"])
        var naughtyRelays = SeriesFamily<Gauge>(
            NodeMetricNames.naughtyRelays, help: "Relays on the naughty list by misconfiguration category",
            labels: ["category"])
        var naughtyInfo = SeriesFamily<Gauge>(
            NodeMetricNames.naughtyRelayInfo,
            help: "Naughty-listed relay with its category and last error (value: occurrences)",
            labels: ["relay", "category", "reason"])
        /// The listed relays by `relay` label, behind both naughty families: a change event
        /// edits it, a snapshot replaces it.
        var naughty: [String: NaughtyRelayMetric] = [:]

        var rejectedHotCacheCurrent = SeriesFamily<Gauge>(
            NodeMetricNames.rejectedHotCacheCurrent, help: "Entries in the rejected-events hot cache",
            labels: ["event_type"])
        var rejectedColdIndexCurrent = SeriesFamily<Gauge>(
            NodeMetricNames.rejectedColdIndexCurrent, help: "Entries in the rejected-events cold index",
            labels: ["event_type"])
        var rejectedHotCacheHits = SeriesFamily<Counter>(
            NodeMetricNames.rejectedHotCacheHits, help: "Rejected events handed out for re-processing by invalidation",
            labels: ["event_type"])
        var rejectedHotCacheMisses = SeriesFamily<Counter>(
            NodeMetricNames.rejectedHotCacheMisses, help: "Invalidations that found no fresh hot-cache event",
            labels: ["event_type"])
        var rejectedHotCacheExpired = SeriesFamily<Counter>(
            NodeMetricNames.rejectedHotCacheExpired, help: "Hot-cache entries removed after their TTL",
            labels: ["event_type"])
        var rejectedColdIndexExpired = SeriesFamily<Counter>(
            NodeMetricNames.rejectedColdIndexExpired, help: "Cold-index entries removed after their TTL",
            labels: ["event_type"])
        var rejectedInvalidated = SeriesFamily<Counter>(
            NodeMetricNames.rejectedInvalidated, help: "Cold-index entries removed by invalidation",
            labels: ["event_type"])

        var deferredEvents = SeriesFamily<Gauge>(
            NodeMetricNames.deferredEvents, help: "Events held until the repository or event they reference arrives",
            labels: [])
        var deferredBytes = SeriesFamily<Gauge>(
            NodeMetricNames.deferredBytes, help: "Bytes of event JSON held in the deferred-events index", labels: [])
        var deferredTotal = SeriesFamily<Counter>(
            NodeMetricNames.deferredEventsTotal, help: "Deferred events by outcome", labels: ["outcome"])
        /// The cumulative deferred counts last applied; counters advance by the growth since.
        var deferredApplied: [DeferredIndexFigures.Outcome: Int] = [:]

        var messagesReceived = SeriesFamily<Counter>(
            NodeMetricNames.servedMessagesReceived, help: "Client messages received by verb", labels: ["verb"])
        var eventsStored = SeriesFamily<Counter>(
            NodeMetricNames.servedEventsStored, help: "Client events stored by kind", labels: ["kind"])
        var eventsRefused = SeriesFamily<Counter>(
            NodeMetricNames.servedEventsRefused, help: "Client events refused by machine-readable prefix",
            labels: ["prefix"])
        var eventsRateLimited = SeriesFamily<Counter>(
            NodeMetricNames.servedEventsRateLimited, help: "Client events refused by a write budget, by budget",
            labels: ["scope"])
        var connectionsRefused = SeriesFamily<Counter>(
            NodeMetricNames.servedConnectionsRefused, help: "Client WebSocket upgrades refused by a connection cap, by cap",
            labels: ["reason"])

        /// Open client connections behind `grasp_relay_connections_open`.
        var openConnections = 0
        /// Open negentropy sessions behind `grasp_relay_negentropy_sessions_open`.
        var openNegentropySessions = 0

        /// Key paths of the per-`event_type` families.
        static var rejectedGauges: [WritableKeyPath<State, SeriesFamily<Gauge>>] {
            [\.rejectedHotCacheCurrent, \.rejectedColdIndexCurrent]
        }
        static var rejectedCounters: [WritableKeyPath<State, SeriesFamily<Counter>>] {
            [
                \.rejectedHotCacheHits, \.rejectedHotCacheMisses, \.rejectedHotCacheExpired,
                \.rejectedColdIndexExpired, \.rejectedInvalidated,
            ]
        }

        /// Creates the series whose label values are fixed, at 0.
        mutating func createFixedSeries(on registry: PrometheusCollectorRegistry) {
            for category in MisconfigurationCategory.allCases {
                naughtyRelays.series([category.rawValue], on: registry).set(to: 0)
            }
            for type in RejectedIndexEventType.allCases {
                for family in Self.rejectedGauges { _ = self[keyPath: family].series([type.rawValue], on: registry) }
                for family in Self.rejectedCounters { _ = self[keyPath: family].series([type.rawValue], on: registry) }
            }
            deferredEvents.series([], on: registry).set(to: 0)
            deferredBytes.series([], on: registry).set(to: 0)
            for outcome in DeferredIndexFigures.Outcome.allCases { _ = deferredTotal.series([outcome.rawValue], on: registry) }
            for verb in NodeMetrics.knownVerbs { _ = messagesReceived.series([verb], on: registry) }
            for prefix in MachineReadablePrefix.allCases { _ = eventsRefused.series([prefix.rawValue], on: registry) }
            _ = eventsRefused.series(["other"], on: registry)
            for scope in NodeMetrics.rateLimitScopes { _ = eventsRateLimited.series([scope], on: registry) }
            for reason in NodeMetrics.connectionRefusalReasons { _ = connectionsRefused.series([reason], on: registry) }
        }

        /// Makes sure both attempt-counter series of `relay` exist.
        mutating func ensureAttemptSeries(_ relay: String, on registry: PrometheusCollectorRegistry) {
            for result in ConnectionAttemptResult.allCases {
                _ = attempts.series([relay, result.rawValue], on: registry)
            }
        }

        /// Removes every per-relay series of the relays whose label matches `predicate`.
        mutating func removeRelays(from registry: PrometheusCollectorRegistry, where predicate: (String) -> Bool) {
            relayConnected.remove(from: registry) { predicate($0[0]) }
            relayStatus.remove(from: registry) { predicate($0[0]) }
            relayFailures.remove(from: registry) { predicate($0[0]) }
            attempts.remove(from: registry) { predicate($0[0]) }
        }

        /// Rebuilds the naughty-list gauges from `snapshot`.
        mutating func applyNaughty(_ snapshot: SyncMetricsSnapshot, on registry: PrometheusCollectorRegistry) {
            naughty = Dictionary(snapshot.naughtyRelays.map { ($0.relay, $0) }, uniquingKeysWith: { _, last in last })
            rebuildNaughty(on: registry)
        }

        /// Lists `entry` (or replaces the relay's entry) and rebuilds the naughty-list gauges.
        mutating func listNaughty(_ entry: NaughtyRelayMetric, on registry: PrometheusCollectorRegistry) {
            naughty[entry.relay] = entry
            rebuildNaughty(on: registry)
        }

        /// Takes the relay labelled `relay` off the list and rebuilds the naughty-list gauges.
        mutating func unlistNaughty(_ relay: String, on registry: PrometheusCollectorRegistry) {
            guard naughty.removeValue(forKey: relay) != nil else { return }
            rebuildNaughty(on: registry)
        }

        /// Sets the per-category counts and the info series from ``naughty``; info series of
        /// relays no longer listed, or with a changed category or reason, are removed.
        private mutating func rebuildNaughty(on registry: PrometheusCollectorRegistry) {
            var counts = Dictionary(uniqueKeysWithValues: MisconfigurationCategory.allCases.map { ($0, 0) })
            var wanted: [[String]: Int] = [:]
            for entry in naughty.values {
                counts[entry.category, default: 0] += 1
                wanted[[entry.relay, entry.category.rawValue, entry.reason]] = entry.count
            }
            for (category, count) in counts {
                naughtyRelays.series([category.rawValue], on: registry).set(to: Double(count))
            }
            naughtyInfo.remove(from: registry) { wanted[$0] == nil }
            for (values, count) in wanted {
                naughtyInfo.series(values, on: registry).set(to: Double(count))
            }
        }

        /// Sets the rejected-index size gauges per type.
        mutating func applyRejectedSizes(_ sizes: RejectedIndexSizes, on registry: PrometheusCollectorRegistry) {
            for type in RejectedIndexEventType.allCases {
                rejectedHotCacheCurrent.series([type.rawValue], on: registry).set(to: Double(sizes.count(.hot, type)))
                rejectedColdIndexCurrent.series([type.rawValue], on: registry).set(to: Double(sizes.count(.cold, type)))
            }
        }

        /// Sets the deferred-index gauges and advances its counters to the snapshot's totals.
        /// A total below the last one applied (the index was replaced) starts over from it.
        mutating func applyDeferred(_ figures: DeferredIndexFigures, on registry: PrometheusCollectorRegistry) {
            deferredEvents.series([], on: registry).set(to: Double(max(figures.events, 0)))
            deferredBytes.series([], on: registry).set(to: Double(max(figures.bytes, 0)))
            for outcome in DeferredIndexFigures.Outcome.allCases {
                let total = figures.total(outcome)
                let last = deferredApplied[outcome] ?? 0
                let growth = total >= last ? total - last : total
                if growth > 0 { deferredTotal.series([outcome.rawValue], on: registry).increment(by: Int64(growth)) }
                deferredApplied[outcome] = total
            }
        }

        /// Removes every series this state created (the owner is going away).
        mutating func removeAll(from registry: PrometheusCollectorRegistry) {
            let all: (([String]) -> Bool) = { _ in true }
            relayConnected.remove(from: registry, where: all)
            relayStatus.remove(from: registry, where: all)
            relayFailures.remove(from: registry, where: all)
            attempts.remove(from: registry, where: all)
            naughtyRelays.remove(from: registry, where: all)
            naughtyInfo.remove(from: registry, where: all)
            for family in Self.rejectedGauges { self[keyPath: family].remove(from: registry, where: all) }
            for family in Self.rejectedCounters { self[keyPath: family].remove(from: registry, where: all) }
            deferredEvents.remove(from: registry, where: all)
            deferredBytes.remove(from: registry, where: all)
            deferredTotal.remove(from: registry, where: all)
            messagesReceived.remove(from: registry, where: all)
            eventsStored.remove(from: registry, where: all)
            eventsRefused.remove(from: registry, where: all)
            eventsRateLimited.remove(from: registry, where: all)
            connectionsRefused.remove(from: registry, where: all)
        }
    }
}
