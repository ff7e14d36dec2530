import Foundation
import Logging
import Nostr
import Store
import Synchronization
import Testing

/// Issue 12, item 4: store failures are logged by the ingestor, so events that arrive by
/// sync or import (batches) are covered as well as clients' EVENTs.
@Suite("Ingestor logs store failures")
struct IngestStoreErrorLoggingTests {
    @Test("single and batch ingestion log every store failure with the store's error text")
    func storeFailuresLogged() {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test.ingest") { _ in LineCapture(append: { line in lines.withLock { $0.append(line) } }) }
        let ingestor = EventIngestor(store: FailingStore(), policy: AcceptancePolicy(configuration: Configs.lenient), logger: logger)
        let events = (0..<3).map { listedAnnouncement(Keys.owner, d: "repo\($0)") }
        #expect(ingestor.ingest(events[0]) == .storeFailed(FailingStore.error))
        #expect(ingestor.ingest(batch: Array(events[1...])).allSatisfy { $0 == .storeFailed(FailingStore.error) })
        let logged = lines.withLock { $0 }
        for event in events {
            #expect(logged.contains { $0.contains(event.id) && $0.contains("disk I/O error") }, "\(logged)")
        }
    }
}

struct LineCapture: LogHandler {
    let append: @Sendable (String) -> Void
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        if level >= .error { append(message.description) }
    }
}
