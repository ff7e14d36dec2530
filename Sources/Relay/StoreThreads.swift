import NIOPosix

/// Runs blocking SQLite work on NIO's shared blocking-I/O thread pool instead of a thread of
/// Swift's cooperative pool: a write waiting for SQLite's writer lock, or a long read, then
/// holds a pool thread, and every other connection's task keeps running.
enum StoreThreads {
    /// Runs `body` on a blocking-I/O thread and returns its result.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        do {
            return try await NIOThreadPool.singleton.runIfActive(body)
        } catch {
            // The singleton pool never shuts down; should it refuse, run here.
            return body()
        }
    }

    /// Runs a throwing `body` on a blocking-I/O thread; its error comes back typed.
    static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await run { () -> Result<T, E> in
            Result { () throws(E) -> T in try body() }
        }
        return try result.get()
    }
}
