import Foundation

/// Samples this process's resident memory (and one more gauge, such as the node's negentropy
/// budget in use) every `interval` seconds on a thread of its own: the node's cooperative
/// pool may be busy or blocked (NEG-OPEN listings run on it), and a sampler there would
/// miss exactly the moments that matter.
public final class MemorySampler: @unchecked Sendable {
    /// What the sampler saw between `start()` and `stop()`.
    public struct Summary: Codable, Sendable {
        public var samples: Int
        /// Largest `VmRSS` sampled, in bytes.
        public var peakResidentBytes: Int
        /// Largest `RssAnon` sampled, in bytes.
        public var peakAnonymousBytes: Int
        /// Largest value of the gauge sampled.
        public var peakGauge: Int
        /// `VmRSS` once a second (every `1 / interval`-th sample), in MB, for a time course.
        public var residentMegabytesPerSecond: [Double]
    }

    private let interval: Double
    private let gauge: @Sendable () -> Int
    private let lock = NSLock()
    private var stopping = false
    private var summary = Summary(samples: 0, peakResidentBytes: 0, peakAnonymousBytes: 0, peakGauge: 0,
                                  residentMegabytesPerSecond: [])
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - interval: seconds between samples.
    ///   - gauge: read at every sample; its peak is reported as `peakGauge`.
    public init(interval: Double = 0.1, gauge: @escaping @Sendable () -> Int = { 0 }) {
        self.interval = interval
        self.gauge = gauge
    }

    /// Starts sampling (once).
    public func start() {
        let thread = Thread { [self] in
            let perSecond = max(1, Int((1 / interval).rounded()))
            while true {
                let memory = ResidentMemory.now()
                let value = gauge()
                let done = lock.withLock { () -> Bool in
                    if summary.samples % perSecond == 0 {
                        summary.residentMegabytesPerSecond.append((Double(memory.residentBytes) / 100_000).rounded() / 10)
                    }
                    summary.samples += 1
                    summary.peakResidentBytes = max(summary.peakResidentBytes, memory.residentBytes)
                    summary.peakAnonymousBytes = max(summary.peakAnonymousBytes, memory.anonymousBytes)
                    summary.peakGauge = max(summary.peakGauge, value)
                    return stopping
                }
                if done { break }
                Thread.sleep(forTimeInterval: interval)
            }
            finished.signal()
        }
        thread.name = "memory-sampler"
        thread.start()
    }

    /// Takes a last sample, stops the thread and returns what it saw.
    public func stop() -> Summary {
        lock.withLock { stopping = true }
        finished.wait()
        return lock.withLock { summary }
    }
}
