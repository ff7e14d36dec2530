/// Percentiles of a set of latencies (nearest rank), in milliseconds.
public struct LatencySummary: Codable, Sendable {
    public var count: Int
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double
    public var mean: Double

    public init(milliseconds samples: [Double]) {
        let sorted = samples.sorted()
        func rank(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return Self.rounded(sorted[Swift.max(0, Swift.min(sorted.count - 1, index))])
        }
        count = sorted.count
        p50 = rank(0.50)
        p95 = rank(0.95)
        p99 = rank(0.99)
        max = Self.rounded(sorted.last ?? 0)
        mean = sorted.isEmpty ? 0 : Self.rounded(sorted.reduce(0, +) / Double(sorted.count))
    }

    /// Two decimals: microseconds are noise here.
    static func rounded(_ ms: Double) -> Double { (ms * 100).rounded() / 100 }
}
