import App
import Foundation
import Health
import Layers
import Nostr
import Relay
import Store
import SyncMetrics
import Testing
import Transport
import TransportTestKit

/// What an intercepted outbound message turns into.
enum Interception: Sendable {
    /// Send it to the relay.
    case forward
    /// Do not send it; deliver these messages as if the relay had answered.
    case reply([RelayMessage])
    /// Swallow it (the relay never answers).
    case drop
}

/// A transport wrapper that lets a scenario script faults on top of real in-process
/// relays, and counts the events each relay delivers.
final class InterceptingTransport: RelayTransport, @unchecked Sendable {
    let inner = LocalRelayTransport()
    private let lock = NSLock()
    private var interceptor: @Sendable (RelayURL, ClientMessage) -> Interception = { _, _ in .forward }
    private var delivered: [RelayURL: Int] = [:]
    private var sessions: [RelayURL: InterceptedSession] = [:]
    private var sent: [RelayURL: [ClientMessage]] = [:]

    func intercept(_ body: @escaping @Sendable (RelayURL, ClientMessage) -> Interception) {
        lock.withLock { interceptor = body }
    }

    func deliveredEvents(from url: RelayURL) -> Int { lock.withLock { delivered[url] ?? 0 } }
    func sentMessages(to url: RelayURL) -> [ClientMessage] { lock.withLock { sent[url] ?? [] } }
    func session(_ url: RelayURL) -> InterceptedSession? { lock.withLock { sessions[url] } }

    func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        let session = try await inner.connect(to: url)
        let wrapped = InterceptedSession(url: url, inner: session, transport: self)
        lock.withLock { sessions[url] = wrapped }
        return wrapped
    }

    fileprivate func decide(_ url: RelayURL, _ message: ClientMessage) -> Interception {
        lock.withLock {
            sent[url, default: []].append(message)
            return interceptor(url, message)
        }
    }

    fileprivate func countEvent(_ url: RelayURL) { lock.withLock { delivered[url, default: 0] += 1 } }
}

final class InterceptedSession: RelaySession, @unchecked Sendable {
    let url: RelayURL
    let messages: RelayMessageStream
    private let inner: any RelaySession
    private let continuation: RelayMessageStream.Continuation
    private weak var transport: InterceptingTransport?
    private var pump: Task<Void, Never>?

    init(url: RelayURL, inner: any RelaySession, transport: InterceptingTransport) {
        self.url = url
        self.inner = inner
        self.transport = transport
        let (stream, continuation) = RelayMessageStream.makeStream()
        self.messages = stream
        self.continuation = continuation
        pump = Task { [weak transport] in
            for await message in inner.messages {
                if case .event = message { transport?.countEvent(url) }
                await continuation.send(message)
            }
            continuation.finish()
        }
    }

    func send(_ message: ClientMessage) async throws(TransportError) {
        switch transport?.decide(url, message) ?? .forward {
        case .forward: try await inner.send(message)
        case .drop: return
        case .reply(let replies): for r in replies { await continuation.send(r) }
        }
    }

    /// Injects a message as if the relay had sent it.
    func inject(_ message: RelayMessage) async { await continuation.send(message) }

    func close() async { await inner.close() }

    /// The peer goes away.
    func dropFromPeer() async {
        if let local = inner as? LocalRelaySession { await local.dropFromPeerSide() }
    }

    func closeReason() async -> TransportError? { await inner.closeReason() }
}

/// A node's sync engine against in-process peer relays, driven in virtual time.
final class SyncScenario: @unchecked Sendable {
    static let nodeURL = RelayURL("wss://node.test")!
    static let owner = NostrKeypair(secretKeyHex: String(repeating: "0a", count: 32))!
    static let contributor = NostrKeypair(secretKeyHex: String(repeating: "0b", count: 32))!

    let clock = ManualClock(start: 1_800_000_000)
    let transport = InterceptingTransport()
    let store: SQLiteEventStore
    let ingestor: EventIngestor
    var coordinator: SyncCoordinator
    let configuration: SyncConfiguration
    /// The NIP-11 documents the engine fetches (none unless a test sets them).
    let relayInformation: StaticRelayInformation?
    private let lock = NSLock()
    private var nodeEvents: [NodeEvent] = []
    private var peers: [RelayURL: NostrRelay] = [:]

    init(bootstrap: [RelayURL] = [], disableNegentropy: Bool = false, pageLimit: Int = 500, store: SQLiteEventStore? = nil,
         relayInformation: StaticRelayInformation? = nil, configure: (inout SyncConfiguration) -> Void = { _ in },
         health: ((ManualClock) -> any RelayHealthTracking)? = nil) throws {
        self.relayInformation = relayInformation
        self.store = try store ?? SQLiteEventStore()
        ingestor = EventIngestor(
            store: self.store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [Self.nodeURL])), clock: clock)
        var config = SyncConfiguration(bootstrapRelays: bootstrap, ownURLs: [Self.nodeURL], disableNegentropy: disableNegentropy, pageLimit: pageLimit)
        configure(&config)
        configuration = config
        coordinator = SyncCoordinator(configuration: config, ingestor: ingestor, transport: transport, clock: clock, randomSeed: 7)
        let box = self
        coordinator = SyncCoordinator(configuration: config, ingestor: ingestor, transport: transport, clock: clock, randomSeed: 7,
                                      relayInformation: relayInformation, health: health?(clock),
                                      emit: { event in box.lock.withLock { box.nodeEvents.append(event) } })
    }

    /// A new coordinator on the same store (a node restart).
    func restart() async {
        await coordinator.stop()
        let box = self
        coordinator = SyncCoordinator(configuration: configuration, ingestor: ingestor, transport: transport, clock: clock, randomSeed: 8,
                                      relayInformation: relayInformation, emit: { event in box.lock.withLock { box.nodeEvents.append(event) } })
        await coordinator.start()
    }

    var emitted: [NodeEvent] { lock.withLock { nodeEvents } }

    /// How many times `url` went to Disconnected (its registration counts as the first).
    func disconnections(_ url: RelayURL) -> Int { emitted.filter { $0 == .connectionStatusChanged(url, .disconnected) }.count }

    /// Drops the peer's side of the connection and waits until the engine has handled it.
    func dropConnection(_ url: RelayURL) async -> Bool {
        let before = disconnections(url)
        await transport.session(url)?.dropFromPeer()
        let tracker = await coordinator.healthTracker
        return await settle {
            let failures = await tracker.consecutiveFailures(of: url.description)
            return disconnections(url) > before && failures >= 1
        }
    }

    /// An in-process peer relay at `url` that archives every valid NIP-34 event.
    @discardableResult
    func addPeer(_ url: RelayURL, limits: RelayLimits = RelayLimits()) throws -> NostrRelay {
        let peerStore = try SQLiteEventStore()
        let peerIngestor = EventIngestor(
            store: peerStore, policy: AcceptancePolicy(configuration: .init(serviceURLs: [url], archiveAll: true)), clock: clock)
        let relay = NostrRelay(ingestor: peerIngestor, information: RelayInformation(limits: limits), clock: clock)
        transport.inner.register(relay, at: url)
        lock.withLock { peers[url] = relay }
        return relay
    }

    /// Stores events on a peer (they must pass its archive policy).
    func publish(_ events: [NostrEvent], on url: RelayURL) {
        let relay = lock.withLock { peers[url]! }
        for e in events {
            let result = relay.ingestor.ingest(e)
            precondition(result == .saved, "peer refused \(e.kind): \(result)")
        }
    }

    func start() async { await coordinator.start() }

    /// One tick, then wait until the engine has nothing in flight.
    func step() async {
        await coordinator.tick()
        await coordinator.waitForIdle()
    }

    /// Moves virtual time forward and runs one step.
    func advance(_ seconds: Double) async {
        clock.advance(by: seconds)
        await step()
    }

    /// Runs one-second steps until `condition` holds (at most `limit` virtual seconds).
    @discardableResult
    func run(upTo limit: Int = 120, until condition: () async -> Bool) async -> Bool {
        await step()
        for _ in 0..<limit {
            if await condition() { return true }
            await advance(1)
        }
        return await condition()
    }

    /// Waits, without moving virtual time, until work running on other tasks (connection
    /// loops, the in-process relays) makes `condition` true. Polls with yields and millisecond
    /// pauses; the bound is a hang guard, not a timing assertion.
    @discardableResult
    func settle(until condition: () async -> Bool) async -> Bool {
        for i in 0..<5_000 {
            if await condition() { return true }
            await coordinator.waitForIdle()
            if i % 10 == 9 { try? await Task.sleep(nanoseconds: 1_000_000) } else { await Task.yield() }
        }
        return await condition()
    }

    func status(_ url: RelayURL) async -> RelayConnectionStatus? { await coordinator.relayStatus(url) }

    func has(_ event: NostrEvent) -> Bool { (try? store.contains(eventID: event.id)) ?? false }

    // MARK: Fixtures

    var now: Int64 { Int64(clock.now()) }

    func announcement(_ d: String = "repo", relays: [RelayURL], by key: NostrKeypair = owner, maintainers: [String] = [], at: Int64? = nil) -> NostrEvent {
        var tags = [["d", d], ["name", d], ["relays"] + relays.map(\.description) + [Self.nodeURL.description]]
        if !maintainers.isEmpty { tags.append(["maintainers"] + maintainers) }
        return key.sign(kind: 30617, tags: tags, content: "", createdAt: at ?? now - 5_000)
    }

    func state(for repo: NostrEvent, at: Int64? = nil) -> NostrEvent {
        Self.owner.sign(kind: 30618, tags: [["d", repo.dTag], ["refs/heads/main", String(repeating: "a", count: 40)], ["HEAD", "ref: refs/heads/main"]],
                        content: "", createdAt: at ?? now - 4_000)
    }

    func issue(for repo: NostrEvent, _ n: Int = 0, at: Int64? = nil) -> NostrEvent {
        Self.contributor.sign(kind: 1621, tags: [["a", "30617:\(repo.pubkey):\(repo.dTag)"], ["p", repo.pubkey], ["subject", "issue \(n)"]],
                              content: "issue \(n)", createdAt: at ?? now - 3_000 + Int64(n))
    }

    func comment(on root: NostrEvent, _ n: Int = 0, at: Int64? = nil) -> NostrEvent {
        Self.contributor.sign(kind: 1111, tags: [["E", root.id, "", root.pubkey], ["K", String(root.kind)], ["P", root.pubkey],
                                                 ["e", root.id], ["k", String(root.kind)], ["p", root.pubkey]],
                              content: "comment \(n)", createdAt: at ?? now - 2_000 + Int64(n))
    }

    func status(on root: NostrEvent, at: Int64? = nil) -> NostrEvent {
        Self.owner.sign(kind: 1630, tags: [["e", root.id, "", "root"], ["p", root.pubkey]], content: "", createdAt: at ?? now - 1_000)
    }
}
