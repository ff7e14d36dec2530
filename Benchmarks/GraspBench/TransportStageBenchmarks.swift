import Benchmark
import BenchSupport

/// WebSocket throughput over loopback (`TransportThroughput`): the node's relay server and
/// its client transport, in a `ReadLoadWorker transport` process (async work measured in this
/// process would get one of the two cooperative threads; see ``SyncWorkerProcess``). The
/// worker stores 20,000 corpus events once and runs 5 rounds of each measurement, each on a
/// new connection; every round is one sample of its metric.
func registerTransportStageBenchmarks() {
    let receiveDeflate = BenchmarkMetric.custom("receive EVENT msgs/s, permessage-deflate (20,000 per REQ)",
                                                polarity: .prefersLarger, useScalingFactor: false)
    let receivePlain = BenchmarkMetric.custom("receive EVENT msgs/s, no compression (20,000 per REQ)",
                                              polarity: .prefersLarger, useScalingFactor: false)
    let send = BenchmarkMetric.custom("send EVENT + read OK, msgs/s, permessage-deflate (5,000 per round)",
                                      polarity: .prefersLarger, useScalingFactor: false)
    let config = Benchmark.Configuration(metrics: [receiveDeflate, receivePlain, send],
                                         units: [receiveDeflate: .count, receivePlain: .count, send: .count],
                                         warmupIterations: 0, maxDuration: .seconds(120), maxIterations: 1)

    Benchmark("transport: WebSocket loopback, node relay server <-> WebSocketRelayTransport (5 rounds each)",
              configuration: config) { benchmark in
        let result = try SyncWorkerProcess.run(TransportThroughput.Result.self, step: "transport", worker: "ReadLoadWorker")
        precondition(result.deflateExtensions.contains { $0.contains("permessage-deflate") },
                     "deflate not negotiated: \(result.deflateExtensions)")
        for rate in result.receiveDeflatePerSecond { benchmark.measurement(receiveDeflate, Int(rate.rounded())) }
        for rate in result.receivePlainPerSecond { benchmark.measurement(receivePlain, Int(rate.rounded())) }
        for rate in result.sendPerSecond { benchmark.measurement(send, Int(rate.rounded())) }
    }
}
