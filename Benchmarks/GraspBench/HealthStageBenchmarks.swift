import Benchmark
import Foundation
import Health
import Nostr

/// The Health stage at 1,000 relays: one lifecycle machine per relay driven through a whole
/// connection, the pure health machine and the `RelayHealthTracker` actor with failures,
/// successes, retry checks and ticks. Every input gets the time as a value, so the runs are
/// deterministic.
enum HealthStageScenario {
    static let relayCount = 1_000
    static let urls = (0..<relayCount).map { "wss://relay-\($0).bench.example" }
    static let start = 1_800_000_000.0

    /// Every relay: connect started, connected, 5 historic batches started and finished (every
    /// tenth relay's last one failed), ticks until the settle delay moved it to Connected,
    /// the connection ended (every other relay with a failure), then a reconnect within the
    /// quick-reconnect window. Each step runs over all relays before the next, as the
    /// coordinator's inputs interleave. Returns the actions returned (for the black hole).
    static func lifecycle() -> Int {
        var machines = [RelayLifecycleStateMachine](repeating: RelayLifecycleStateMachine(), count: relayCount)
        var actions = 0
        var now = start
        for i in machines.indices { actions += machines[i].connectStarted().count }
        for i in machines.indices {
            actions += machines[i].connected(at: now, generation: machines[i].generation, dailyResyncDelay: 86_400).count
        }
        for batch in 0..<5 {
            for i in machines.indices {
                machines[i].batchStarted()
                actions += machines[i].tick(at: now, pendingWork: true, owesWork: { false }).count
                machines[i].batchFinished(generation: machines[i].generation, failed: batch == 4 && i % 10 == 0)
            }
            now += 1
        }
        for step in 0..<8 {  // quiet ticks one second apart: the 6 s settle delay passes
            for i in machines.indices {
                actions += machines[i].tick(at: now + Double(step), pendingWork: false, owesWork: { false }).count
            }
        }
        now += 10
        let lost = RelayLifecycleStateMachine.Failure(kind: .closedByPeer, message: "connection reset by peer")
        for i in machines.indices {
            precondition(machines[i].status.isConnected && machines[i].status != .syncing)
            actions += machines[i].connectionEnded(at: now, generation: machines[i].generation, failure: i % 2 == 0 ? lost : nil).count
        }
        now += 60
        for i in machines.indices {
            actions += machines[i].connectStarted().count
            actions += machines[i].connected(at: now, generation: machines[i].generation, dailyResyncDelay: 86_400).count
        }
        return actions
    }

    /// The failure kind of relay `i`: every tenth a misconfiguration (DNS, naughty-listed),
    /// the rest transient.
    static func failureKind(_ i: Int) -> ConnectionFailureKind { i % 10 == 0 ? .dns : (i % 2 == 0 ? .timeout : .refused) }

    /// The pure machine: register 1,000 relays, then 3 rounds of attempt + failure + retry
    /// check + tick (one minute apart), then attempt + success for the transient ones, and
    /// ticks until they are stable. Returns how many retry checks said yes.
    static func healthMachine() -> Int {
        var machine = RelayHealthStateMachine()
        var now = start
        for url in urls { machine.register(url) }
        var allowed = 0
        for round in 0..<3 {
            for (i, url) in urls.enumerated() {
                machine.recordAttempt(url, at: now)
                machine.recordFailure(url, kind: failureKind(i), message: "failure \(round)", at: now,
                                      jitterSample: Double(i % 100) / 100)
                if machine.canAttempt(url, at: now) { allowed += 1 }
            }
            _ = machine.tick(at: now)
            now += 60
        }
        now += 3_600
        for (i, url) in urls.enumerated() where i % 10 != 0 {
            if machine.canAttempt(url, at: now) { allowed += 1 }
            machine.recordAttempt(url, at: now)
            machine.recordSuccess(url, at: now)
        }
        for _ in 0..<5 {
            now += 60
            _ = machine.tick(at: now)
        }
        return allowed
    }

    /// A clock the benchmark moves (the tracker reads time through a closure).
    final class Time: @unchecked Sendable {
        private let lock = NSLock()
        private var value = HealthStageScenario.start
        func now() -> Double { lock.withLock { value } }
        func advance(_ seconds: Double) { lock.withLock { value += seconds } }
    }

    /// ``healthMachine()`` through the `RelayHealthTracker` actor (a call per input, as the
    /// coordinator makes them).
    static func tracker() async -> Int {
        let time = Time()
        let tracker = RelayHealthTracker(now: { time.now() }, random: SplitMix64(seed: 7))
        for url in urls { await tracker.register(url) }
        var allowed = 0
        for round in 0..<3 {
            for (i, url) in urls.enumerated() {
                await tracker.recordAttempt(url)
                await tracker.recordFailure(url, kind: failureKind(i), message: "failure \(round)")
                if await tracker.canAttempt(url) { allowed += 1 }
            }
            _ = await tracker.tick()
            time.advance(60)
        }
        time.advance(3_600)
        for (i, url) in urls.enumerated() where i % 10 != 0 {
            if await tracker.canAttempt(url) { allowed += 1 }
            await tracker.recordAttempt(url)
            await tracker.recordSuccess(url)
        }
        for _ in 0..<5 {
            time.advance(60)
            _ = await tracker.tick()
        }
        return allowed
    }
}

func registerHealthStageBenchmarks() {
    let config = Benchmark.Configuration(metrics: [.wallClock, .throughput], warmupIterations: 1,
                                         maxDuration: .seconds(5), maxIterations: 100)

    Benchmark("health: RelayLifecycleStateMachine x 1,000 relays: connect, connected, 5 batches, ticks to Connected, connection ended, reconnect",
              configuration: config) { benchmark in
        blackHole(HealthStageScenario.lifecycle())
    }

    Benchmark("health: RelayHealthStateMachine (pure), 1,000 relays: 3 x (attempt, failure, canAttempt) + tick, 900 successes, 5 ticks",
              configuration: config) { benchmark in
        blackHole(HealthStageScenario.healthMachine())
    }

    Benchmark("health: RelayHealthTracker actor, 1,000 relays: the same inputs as the pure machine, one actor call each",
              configuration: config) { benchmark async in
        blackHole(await HealthStageScenario.tracker())
    }
}
