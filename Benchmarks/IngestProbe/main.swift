import Foundation
import Nostr
import Store

// Temporary probe: where does ingest time go?
let keys = (1...20).map { i in NostrKeypair(secretKey: [UInt8](repeating: 0, count: 31) + [UInt8(i)])! }
let service = RelayURL("ws://bench.relay")!
var events: [NostrEvent] = []
var anns: [NostrEvent] = []
for r in 0..<100 {
    let a = keys[r % 20].sign(kind: 30617, tags: [["d", "repo-\(r)"], ["relays", service.description]], content: "", createdAt: 1_700_000_000 + Int64(r))
    anns.append(a); events.append(a)
}
for i in 0..<10_000 {
    let repo = anns[i % 100]
    events.append(keys[i % 20].sign(kind: 1621, tags: [["a", "30617:\(repo.pubkey):\(repo.dTag)"], ["subject", "x"]], content: "b \(i)", createdAt: 1_700_010_000 + Int64(i)))
}
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
let store = try SQLiteEventStore(path: dir.appendingPathComponent("p.sqlite").path)
let clock = ContinuousClock()
var t = clock.now
_ = EventIngestor.verifyConcurrently(events)
print("verify", clock.now - t)
let policy = AcceptancePolicy(configuration: .init(serviceURLs: [service]))
t = clock.now
var n = 0
for e in events { if case .accept = try policy.evaluate(e, store: store, now: 1_800_000_000) { _ = try store.insert(e); n += 1 } }
print("policy+insert", clock.now - t, n)
let store2 = try SQLiteEventStore(path: dir.appendingPathComponent("q.sqlite").path)
t = clock.now
for e in events { _ = try store2.insert(e) }
print("insert only", clock.now - t)
t = clock.now
for e in events { _ = try store2.contains(eventID: e.id) }
print("contains only", clock.now - t)

let store3 = try SQLiteEventStore(path: dir.appendingPathComponent("r.sqlite").path)
t = clock.now
_ = try store3.insert(batch: events)
print("batch insert", clock.now - t)
let store4 = try SQLiteEventStore(path: dir.appendingPathComponent("s.sqlite").path)
let ingestor = EventIngestor(store: store4, policy: policy, clock: ManualClock(start: 1_800_000_000))
t = clock.now
let r = ingestor.ingest(batch: events)
print("ingest(batch:) verify+policy+store", clock.now - t, r.filter { $0 == .saved }.count)
