import Foundation
import Testing
import Nostr

@Suite("Event model helpers")
struct EventModelTests {
    static let event = Fixtures.event(kind: 1, tags: [
        ["e", "first", "wss://r", "root"], ["p", "pk1"], ["e", "second"], ["e"], [], ["d", "ident"], ["d", "later"], ["t", ""],
    ])

    @Test("tagValues returns index 1 of every tag with the name, skipping name-only tags")
    func tagValues() {
        #expect(Self.event.tagValues("e") == ["first", "second"])
        #expect(Self.event.tagValues("p") == ["pk1"])
        #expect(Self.event.tagValues("t") == [""])
        #expect(Self.event.tagValues("x") == [])
    }

    @Test("tags(named:) returns whole tags, name-only ones included")
    func tagsNamed() {
        #expect(Self.event.tags(named: "e") == [["e", "first", "wss://r", "root"], ["e", "second"], ["e"]])
        #expect(Self.event.tags(named: "z") == [])
    }

    @Test("firstTagValue and dTag")
    func firstValue() {
        #expect(Self.event.firstTagValue("e") == "first")
        #expect(Self.event.firstTagValue("d") == "ident")
        #expect(Self.event.firstTagValue("x") == nil)
        #expect(Self.event.dTag == "ident")
        #expect(Fixtures.event(tags: []).dTag == "")
        #expect(Fixtures.event(tags: [["d"], ["d", "second"]]).dTag == "second")
    }

    @Test("Storage class by kind (NIP-01)", arguments: [
        (0, EventKindClass.replaceable), (1, .regular), (2, .regular), (3, .replaceable), (4, .regular), (5, .regular),
        (44, .regular), (1000, .regular), (1617, .regular), (9999, .regular),
        (10000, .replaceable), (10002, .replaceable), (10317, .replaceable), (19999, .replaceable),
        (20000, .ephemeral), (22242, .ephemeral), (29999, .ephemeral),
        (30000, .addressable), (30617, .addressable), (30618, .addressable), (39999, .addressable),
        (40000, .regular), (65535, .regular),
    ] as [(Int, EventKindClass)])
    func kindClass(_ kind: Int, _ expected: EventKindClass) {
        #expect(EventKindClass(kind: kind) == expected)
        #expect(Fixtures.event(kind: kind).kindClass == expected)
    }

    @Test("address is kind:pubkey:d for addressable events only")
    func address() {
        let pk = Fixtures.hex64("1")
        #expect(Fixtures.event(kind: 30617, tags: [["d", "repo:x"]]).address == "30617:\(pk):repo:x")
        #expect(Fixtures.event(kind: 30618, tags: []).address == "30618:\(pk):")
        #expect(Fixtures.event(kind: 1, tags: [["d", "x"]]).address == nil)
        #expect(Fixtures.event(kind: 10002, tags: [["d", "x"]]).address == nil)
    }

    @Test("Events are equal and hash by every field")
    func equality() {
        let a = Fixtures.event()
        #expect(a == Fixtures.event())
        #expect(a != a.with(sig: String(repeating: "1", count: 128)))
        #expect(a != a.with(tags: [[]]))
        #expect(Set([a, Fixtures.event(), a.with(content: "x")]).count == 2)
    }
}

@Suite("Clocks")
struct ClockTests {
    @Test("ManualClock starts where told and only moves when told")
    func manual() {
        let clock = ManualClock()
        #expect(clock.now() == 1_700_000_000)
        #expect(clock.now() == 1_700_000_000)
        clock.advance(by: 1.5)
        #expect(clock.now() == 1_700_000_001.5)
        clock.set(42)
        #expect(clock.now() == 42)
        clock.advance(by: -2)
        #expect(clock.now() == 40)
        #expect(ManualClock(start: 0).now() == 0)
    }

    @Test("ManualClock is safe to advance from many tasks")
    func manualConcurrent() async {
        let clock = ManualClock(start: 0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { clock.advance(by: 1) } }
        }
        #expect(clock.now() == 200)
    }

    @Test("Clocks are usable as NodeClock existentials")
    func existential() {
        let clocks: [any NodeClock] = [SystemClock(), ManualClock(start: 5)]
        #expect(clocks[1].now() == 5)
        // The system clock reads the wall clock: after 2023 and close to Foundation's Date.
        let now = clocks[0].now()
        #expect(now > 1_700_000_000)
        #expect(abs(now - Date().timeIntervalSince1970) < 3600)
    }
}
