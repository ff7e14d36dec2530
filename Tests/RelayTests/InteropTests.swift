import Health
import Foundation
import Nostr
import Reconcile
import Relay
import Store
import Testing
import Transport

/// Interoperability with a real independent peer: nostr-sdk (rust-nostr, from PyPI) driven by
/// the Python scripts in `Interop/`. These fail (never skip) when GRASP_SYNC_TEST_PYTHON is unset.
@Suite struct InteropTests {
    @Test func nostrSdkClientPublishesReadsBackAndIsRefusedTheUnrelatedNote() async throws {
        try await RelayTestHarness.withRelay { relay in
            let output = try await InteropProcess.run("nostr_sdk_client.py", [
                "--relay", "ws://127.0.0.1:\(relay.port)", "--service-url", RelayTestHarness.serviceURL.description,
                "--timeout", "15", "--deadline", "120",
            ]) { child -> JSONValue in
                let line = try await child.nextJSON(deadline: 150)
                let status = try await child.waitForExit(deadline: 30)
                #expect(status == 0, "nostr_sdk_client.py exited \(status): \(line.jsonText)\n\(child.stderrTail)")
                return line
            }
            #expect(output["error"] == nil, "\(output.jsonText)")
            let published = output["published"]?.stringArray ?? []
            #expect(published.count == 4)
            #expect(Set(output["fetched"]?.stringArray ?? []) == Set(published))
            #expect(output["fetched_by_a"]?.stringArray?.count == 2)
            #expect(output["refused"]?["accepted"]?.boolValue == false)
            #expect(output["refused"]?["message"]?.stringValue?.hasPrefix("blocked:") == true)
            // Our store agrees: the four NIP-34 events are there, the note is not.
            for id in published { #expect(try relay.store.contains(eventID: id)) }
            let refusedID = try #require(output["refused"]?["id"]?.stringValue)
            #expect(try !relay.store.contains(eventID: refusedID))
        }
    }

    @Test func nostrSdkNegentropyDryRunAgainstOurRelayFindsExactlyTheDiff() async throws {
        let sets = NIP34EventSets.standard
        let localFile = try NIP34EventSets.writeJSONLines(sets.clientEvents, name: "client-a-b")
        defer { try? FileManager.default.removeItem(at: localFile) }
        try await RelayTestHarness.withRelay { relay in
            sets.storeRelaySide(in: relay)
            let output = try await InteropProcess.run("nostr_sdk_negentropy.py", [
                "--relay", "ws://127.0.0.1:\(relay.port)", "--local-events", localFile.path,
                "--filter", sets.filter.jsonText, "--timeout", "15", "--deadline", "120",
            ]) { child -> JSONValue in
                let line = try await child.nextJSON(deadline: 150)
                let status = try await child.waitForExit(deadline: 30)
                #expect(status == 0, "nostr_sdk_negentropy.py exited \(status): \(line.jsonText)\n\(child.stderrTail)")
                return line
            }
            #expect(output["error"] == nil, "\(output.jsonText)")
            #expect(output["local_events"]?.int64Value == Int64(sets.clientEvents.count))
            // local: what the client has and the relay lacks (A); remote: the reverse (C).
            #expect(output["local"]?.stringArray == sets.onlyClientIDs.sorted())
            #expect(output["remote"]?.stringArray == sets.onlyRelayIDs.sorted())
        }
    }

    @Test func ourClientAgainstTheNostrSdkLocalRelayFindsExactlyTheDiff() async throws {
        let sets = NIP34EventSets.standard
        let preload = try NIP34EventSets.writeJSONLines(sets.relayEvents, name: "relay-b-c")
        defer { try? FileManager.default.removeItem(at: preload) }
        try await InteropProcess.run("nostr_sdk_local_relay.py", ["--port", "0", "--events", preload.path, "--timeout", "15"]) { child in
            let ready = try await child.nextJSON(deadline: 120)
            try #require(ready["error"] == nil, "LocalRelay failed: \(ready.jsonText)\n\(child.stderrTail)")
            #expect(ready["loaded"]?.int64Value == Int64(sets.relayEvents.count))
            #expect(ready["stored"]?.int64Value == Int64(sets.relayEvents.count))
            let port = try #require(ready["port"]?.int64Value)

            let transport = WebSocketRelayTransport(configuration: .init(addressPolicy: .init(allowPrivate: true)))
            let session = try await transport.connect(to: RelayURL("ws://127.0.0.1:\(port)")!)
            let link = SessionNegentropyLink(session: session)
            // Well below LocalRelay's 50,000-item refusal.
            for (n, frameSizeLimit) in [0, 4096].enumerated() {
                let outcome = await NegentropyClientSession.run(link: link, subscriptionID: "interop-\(n)", filter: sets.filter,
                                                                storage: try negentropyStorage(sets.clientEvents), frameSizeLimit: frameSizeLimit, classify: RefusalClassifier.classify)
                guard case .success(let diff) = outcome else {
                    Issue.record("reconciliation with LocalRelay (frame limit \(frameSizeLimit)) failed: \(outcome)\n\(child.stderrTail)")
                    continue
                }
                #expect(Set(diff.need.map(\.hex)) == sets.onlyRelayIDs)
                #expect(Set(diff.have.map(\.hex)) == sets.onlyClientIDs)
                #expect(diff.need.count == sets.onlyRelay.count)
                #expect(diff.have.count == sets.onlyClient.count)
            }
            // And the needed events download by id (LocalRelay closes each REQ after its EOSE).
            let fetched = try await fetchEvents(ids: sets.onlyRelay.map(\.id), over: session)
            #expect(Set(fetched.map(\.id)) == sets.onlyRelayIDs)
            for e in fetched { #expect((try? e.verify()) != nil) }
            await session.close()

            child.closeStdin()
            let stopped = try await child.nextJSON(deadline: 30)
            #expect(stopped["stopped"]?.boolValue == true)
            #expect(try await child.waitForExit(deadline: 30) == 0)
        }
    }
}
