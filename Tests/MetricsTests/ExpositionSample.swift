/// One sample line of a Prometheus text exposition: `name{labels} value`.
struct ExpositionSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
}
