import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Nostr
import Testing

/// The HTML status page on `GET /`, rendered by headless Chromium against a running node.
@Suite("End-to-end: status page in a browser", .timeLimit(.minutes(5)))
struct StatusPageEndToEndTests {
    /// `chromium` from `GRASP_SYNC_TEST_CHROMIUM` or the PATH (`make test` installs the
    /// Debian package).
    static func chromium() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["GRASP_SYNC_TEST_CHROMIUM"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map(String.init) + ["/usr/bin"] {
            let candidate = URL(fileURLWithPath: dir).appendingPathComponent("chromium")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw E2EError.setup("chromium not found: install the Debian package `chromium` (make test does) or set GRASP_SYNC_TEST_CHROMIUM")
    }

    /// Runs headless Chromium on `url` with `mode` (`--dump-dom` or `--screenshot=...`);
    /// returns its stdout. The deadline is a hang guard.
    static func chromium(_ mode: [String], url: String, in directory: URL) async throws -> String {
        let profile = directory.appendingPathComponent("chromium-profile-\(UUID().uuidString.prefix(6))")
        let out = directory.appendingPathComponent("chromium-\(UUID().uuidString.prefix(6)).out")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        let process = Process()
        process.executableURL = try chromium()
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(profile.path)", "--window-size=1280,900"] + mode + [url]
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        let end = Date().addingTimeInterval(90)
        while process.isRunning {
            if Date() > end {
                process.terminate()
                throw E2EError.timedOut("chromium \(mode) \(url) still running after 90 s")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return String(decoding: FileManager.default.contents(atPath: out.path) ?? Data(), as: UTF8.self)
    }

    static func get(port: Int, accept: String) async throws -> (Int, [AnyHashable: Any], String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/")!)
        request.setValue(accept, forHTTPHeaderField: "Accept")
        let (data, response) = try await E2EHTTP.session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http.allHeaderFields, String(decoding: data, as: UTF8.self))
    }

    @Test("a row per relay (NIP-77 mode, confirmed repos, a hostile URL escaped), stored events by kind, screenshot; NIP-11 unchanged")
    func pageInHeadlessChromium() async throws {
        try await E2E.scenario("status-page") { scenario in
            let aPort = try E2EEnvironment.freePort()
            let b = try await scenario.node("B", extraArguments: ["--no-sync"])
            let histories = ToolsEndToEndTests.histories(3, service: b.url).map { _ in
                E2ERepoHistory(relays: [b.url, "ws://127.0.0.1:\(aPort)"])
            }
            try await E2EClient.with(b.url) { try await $0.publishAccepted(histories.flatMap(\.all)) }
            // A relay URL an attacker could put in an announcement.
            let hostile = "ws://127.0.0.1:\(try E2EEnvironment.freePort())/x?<b id=\"pwn\">owned</b><script>document.title='pwned'</script>"
            // B and the unreachable hostile relay share the host 127.0.0.1: the per-host dial
            // limit (4 a minute) must not leave B waiting behind the hostile relay's retries.
            let a = try await scenario.node("A", port: aPort, bootstrap: [b.url, hostile],
                                            extraArguments: ["--max-dials-per-host-per-minute", "1000"])
            try await E2E.waitForEvents(histories.flatMap(\.all).map(\.id), on: a, "events synced from B")
            try await E2E.waitForConnectionStatus(3, of: b.url, on: a)

            let pageURL = "http://127.0.0.1:\(aPort)/"
            var dom = ""
            try await E2E.waitUntil("the page shows B with NIP-77 and confirmed repos") {
                dom = try await Self.chromium(["--dump-dom"], url: pageURL, in: scenario.workDirectory)
                let row = dom.components(separatedBy: "<tr class=\"relay\"").first { $0.contains("data-url=\"\(b.url)\"") } ?? ""
                return row.contains("Connected") && row.contains("NIP-77") && row.contains("<td class=\"n\">3</td>") ? nil : String(dom.suffix(3000))
            }
            #expect(dom.components(separatedBy: "<tr class=\"relay\"").count - 1 == 2, "one row per tracked relay:\n\(dom)")
            #expect(dom.contains("<title>grasp-sync status</title>"))
            #expect(dom.contains("<span id=\"stored-events\">\(histories.count * 7)</span>"), "\(dom)")
            #expect(dom.contains("<td class=\"n\">30617</td><td>repository announcement</td><td class=\"n\">3</td>"), "\(dom)")
            #expect(dom.contains("id=\"version\"") && dom.contains("id=\"uptime\""))
            // The hostile URL is text, not markup: no element and no script came of it.
            #expect(!dom.contains("<b id=\"pwn\">"), "hostile URL became markup")
            #expect(!dom.contains("<script"), "a script element is in the page")
            #expect(dom.contains("&lt;b id=\"pwn\"&gt;owned&lt;/b&gt;&lt;script&gt;"), "\(dom)")
            let hostileRow = dom.components(separatedBy: "<tr class=\"relay\"").first { $0.contains("owned&lt;/b&gt;") } ?? ""
            // Unreachable: Disconnected, or Connecting if the page was taken during a retry.
            let unreachable = hostileRow.contains("Disconnected") || hostileRow.contains("Connecting")
            #expect(unreachable && hostileRow.contains(" ago") == false, "\(hostileRow)")

            let shot = scenario.file("status-page.png")
            _ = try await Self.chromium(["--screenshot=\(shot.path)"], url: pageURL, in: scenario.workDirectory)
            let png = try #require(FileManager.default.contents(atPath: shot.path), "no screenshot written")
            #expect(png.count > 10_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "not a PNG screenshot")
            print("[status-page] screenshot: \(shot.path) (\(png.count) bytes)")
            // The scenario's folder goes when it passes; keep a copy where asked.
            if let keep = ProcessInfo.processInfo.environment["GRASP_SYNC_TEST_KEEP_SCREENSHOT"], !keep.isEmpty {
                try? FileManager.default.removeItem(atPath: keep)
                try? FileManager.default.copyItem(atPath: shot.path, toPath: keep)
            }

            let (htmlStatus, htmlHeaders, _) = try await Self.get(port: aPort, accept: "text/html,application/xhtml+xml")
            #expect(htmlStatus == 200)
            #expect((htmlHeaders["Content-Type"] as? String)?.hasPrefix("text/html") == true)
            #expect((htmlHeaders["Content-Security-Policy"] as? String)?.contains("default-src 'none'") == true)
            let (infoStatus, infoHeaders, info) = try await Self.get(port: aPort, accept: "application/nostr+json")
            #expect(infoStatus == 200 && (infoHeaders["Content-Type"] as? String) == "application/nostr+json")
            #expect(info.contains("\"supported_nips\""))
        }
    }
}
