import Prometheus

/// A Prometheus metric type ``SeriesFamily`` can create on, and remove from, a registry.
protocol RegistrySeries: AnyObject, Sendable {
    /// Creates (or returns the existing) series `name{labels}` on `registry`.
    static func make(name: String, help: String, labels: [(String, String)], on registry: PrometheusCollectorRegistry) -> Self
    /// Removes `series` from `registry`.
    static func unregister(_ series: Self, from registry: PrometheusCollectorRegistry)
}

extension Gauge: RegistrySeries {
    static func make(name: String, help: String, labels: [(String, String)], on registry: PrometheusCollectorRegistry) -> Gauge {
        let descriptor = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        return labels.isEmpty ? registry.makeGauge(descriptor: descriptor) : registry.makeGauge(descriptor: descriptor, labels: labels)
    }

    static func unregister(_ series: Gauge, from registry: PrometheusCollectorRegistry) {
        registry.unregisterGauge(series)
    }
}

extension Counter: RegistrySeries {
    static func make(name: String, help: String, labels: [(String, String)], on registry: PrometheusCollectorRegistry) -> Counter {
        let descriptor = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        return labels.isEmpty ? registry.makeCounter(descriptor: descriptor) : registry.makeCounter(descriptor: descriptor, labels: labels)
    }

    static func unregister(_ series: Counter, from registry: PrometheusCollectorRegistry) {
        registry.unregisterCounter(series)
    }
}

/// The labelled series of one metric name that ``NodeMetrics`` has created, keyed by their
/// label values (in ``labelNames`` order), so that series can be removed again when what
/// they describe is gone.
///
/// Not thread-safe on its own; ``NodeMetrics`` keeps every family behind its lock.
struct SeriesFamily<Series: RegistrySeries> {
    /// The metric name.
    let name: String
    /// The `# HELP` text.
    let help: String
    /// The label names, in the order the series carry them.
    let labelNames: [String]
    /// The live series by label values.
    private(set) var members: [[String]: Series] = [:]

    init(_ name: String, help: String, labels: [String]) {
        self.name = name
        self.help = help
        labelNames = labels
    }

    /// The series for `values`, created on `registry` if needed.
    mutating func series(_ values: [String], on registry: PrometheusCollectorRegistry) -> Series {
        precondition(values.count == labelNames.count, "\(name) takes labels \(labelNames)")
        if let existing = members[values] { return existing }
        let created = Series.make(name: name, help: help, labels: Array(zip(labelNames, values)), on: registry)
        members[values] = created
        return created
    }

    /// Removes every series whose label values match `predicate` from `registry`.
    mutating func remove(from registry: PrometheusCollectorRegistry, where predicate: ([String]) -> Bool) {
        for (values, existing) in members where predicate(values) {
            Series.unregister(existing, from: registry)
            members[values] = nil
        }
    }
}
