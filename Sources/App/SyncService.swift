import Layers
import Logging
import ServiceLifecycle

/// Runs the sync engine under swift-service-lifecycle: start, tick every `interval`
/// seconds, and on graceful shutdown stop (closing remotes and persisting state).
struct SyncService: Service {
    let coordinator: SyncCoordinator
    let interval: Double

    func run() async throws {
        await coordinator.start()
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await coordinator.tick()
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
            }
        } onGracefulShutdown: {}
        await coordinator.stop()
    }
}
