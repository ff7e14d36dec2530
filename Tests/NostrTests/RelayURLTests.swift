import Testing
import Nostr

@Suite("Relay URL normalisation")
struct RelayURLTests {
    @Test("Normalises to one spelling", arguments: [
        ("wss://relay.example.com", "wss://relay.example.com"),
        ("WSS://Relay.Example.COM", "wss://relay.example.com"),
        ("Ws://RELAY.example.com", "ws://relay.example.com"),
        ("wss://relay.example.com/", "wss://relay.example.com"),
        ("wss://relay.example.com///", "wss://relay.example.com"),
        ("wss://relay.example.com:443", "wss://relay.example.com"),
        ("wss://relay.example.com:443/", "wss://relay.example.com"),
        ("ws://relay.example.com:80/", "ws://relay.example.com"),
        ("wss://relay.example.com:80", "wss://relay.example.com:80"),
        ("ws://relay.example.com:443", "ws://relay.example.com:443"),
        ("wss://relay.example.com:8443/nostr/", "wss://relay.example.com:8443/nostr"),
        ("wss://relay.example.com:00443", "wss://relay.example.com"),
        ("wss://relay.example.com:65535", "wss://relay.example.com:65535"),
        ("wss://relay.example.com:1", "wss://relay.example.com:1"),
        ("wss://relay.example.com/Path/Case/", "wss://relay.example.com/Path/Case"),
        ("wss://relay.example.com#fragment", "wss://relay.example.com"),
        ("wss://relay.example.com/#/x", "wss://relay.example.com"),
        ("wss://relay.example.com/nostr#x?y", "wss://relay.example.com/nostr"),
        ("wss://relay.example.com/nostr?x=1", "wss://relay.example.com/nostr?x=1"),
        ("wss://relay.example.com/nostr/?x=1", "wss://relay.example.com/nostr?x=1"),
        ("wss://relay.example.com?x=1", "wss://relay.example.com?x=1"),
        ("  wss://relay.example.com/  ", "wss://relay.example.com"),
        ("wss://relay.example.com\n", "wss://relay.example.com"),
        ("wss://relay.example.com/\r\n", "wss://relay.example.com"),
        ("wss://relay.example.com \t\n", "wss://relay.example.com"),
        ("wss://relay.example.com.", "wss://relay.example.com"),
        ("wss://relay.example.com.:443/", "wss://relay.example.com"),
        ("relay.example.com", "wss://relay.example.com"),
        ("Relay.Example.com/", "wss://relay.example.com"),
        ("relay.example.com:8080/nostr", "wss://relay.example.com:8080/nostr"),
        ("relay.example.com:443", "wss://relay.example.com"),
        ("localhost:7777", "wss://localhost:7777"),
        ("ws://127.0.0.1:41463", "ws://127.0.0.1:41463"),
        ("ws://127.0.0.1:80", "ws://127.0.0.1"),
        ("ws://[::1]:7777", "ws://[::1]:7777"),
        ("ws://[::1]:80/", "ws://[::1]"),
        ("wss://[2001:DB8::1]/", "wss://[2001:db8::1]"),
        ("wss://[2001:db8::1]:8443/path", "wss://[2001:db8::1]:8443/path"),
        ("[::1]:7777", "wss://[::1]:7777"),
        ("wss://xn--bcher-kva.example", "wss://xn--bcher-kva.example"),
    ])
    func normalise(_ raw: String, _ expected: String) throws {
        let url = try #require(RelayURL(raw))
        #expect(url.description == expected)
        // Idempotent.
        #expect(RelayURL(url.description) == url)
    }

    @Test("Refuses other schemes, user info, empty hosts and bad ports", arguments: [
        "http://relay.example.com", "https://relay.example.com", "git://relay.example.com", "ssh://relay.example.com",
        "ftp://relay.example.com", "file:///etc/passwd", "wss+unix://x",
        "wss://user@relay.example.com", "wss://user:pass@relay.example.com", "user@relay.example.com",
        "wss://relay.example.com:0", "wss://relay.example.com:65536", "wss://relay.example.com:99999",
        "wss://relay.example.com:abc", "wss://relay.example.com:", "wss://relay.example.com:+443", "wss://relay.example.com:-1",
        "wss://relay.example.com: 443", "wss://relay.example.com:443:443",
        "wss://", "wss:///path", "ws://:8080", "", "   ", "/", "//x",
        "ws://[::1", "ws://[::1]x", "ws://[]:80", "wss://::1", "wss://fe80::1", "wss://re lay.example.com",
    ])
    func refuse(_ raw: String) {
        #expect(RelayURL(raw) == nil)
    }

    @Test("Components")
    func components() throws {
        let a = try #require(RelayURL("WSS://Relay.Example.com:8443/Nostr/"))
        #expect(a.scheme == "wss")
        #expect(a.host == "relay.example.com")
        #expect(a.port == 8443)
        #expect(a.pathAndQuery == "/Nostr")
        #expect(a.effectivePort == 8443)
        #expect(a.isSecure)

        let b = try #require(RelayURL("ws://localhost"))
        #expect(b.port == nil)
        #expect(b.effectivePort == 80)
        #expect(!b.isSecure)
        #expect(b.pathAndQuery == "")

        let c = try #require(RelayURL("relay.example.com"))
        #expect(c.effectivePort == 443)
        #expect(c.isSecure)

        let v6 = try #require(RelayURL("ws://[::1]:7777"))
        #expect(v6.host == "::1")
        #expect(v6.port == 7777)
    }

    @Test("Different spellings of one relay are one key")
    func equality() {
        let spellings = [
            "wss://relay.example.com", "WSS://RELAY.EXAMPLE.COM/", "relay.example.com", "wss://relay.example.com:443",
            "  relay.example.com:443/ ", "wss://relay.example.com.#x",
        ]
        let urls = spellings.compactMap(RelayURL.init)
        #expect(urls.count == spellings.count)
        #expect(Set(urls).count == 1)
        #expect(RelayURL("ws://relay.example.com") != RelayURL("wss://relay.example.com"))
        #expect(RelayURL("wss://relay.example.com/a") != RelayURL("wss://relay.example.com/A"))
        #expect(RelayURL("wss://relay.example.com:8443") != RelayURL("wss://relay.example.com"))
    }

    @Test("Orders by text form")
    func ordering() {
        let urls = ["wss://b.example", "ws://z.example", "wss://a.example:8443", "wss://a.example"].compactMap(RelayURL.init)
        #expect(urls.sorted().map(\.description) == ["ws://z.example", "wss://a.example", "wss://a.example:8443", "wss://b.example"])
    }

    @Test("Clone URL to relay URL", arguments: [
        ("https://example.com/repo.git", "wss://example.com"),
        ("http://127.0.0.1:41463/x.git", "ws://127.0.0.1:41463"),
        ("HTTPS://Example.COM/npub1abc/repo.git", "wss://example.com"),
        ("Http://Example.com/r.git", "ws://example.com"),
        ("https://example.com:443/repo.git", "wss://example.com"),
        ("http://example.com:80/r.git", "ws://example.com"),
        ("https://example.com:8443/repo.git", "wss://example.com:8443"),
        ("http://example.com:443/r.git", "ws://example.com:443"),
        ("https://example.com", "wss://example.com"),
        ("https://example.com/", "wss://example.com"),
        ("https://example.com?ref=main", "wss://example.com"),
        ("https://example.com#readme", "wss://example.com"),
        ("https://relay.ngit.dev/npub15qydau2hjma6ngxkl2cyar74wzyjshvl65za5k5rl69264ar2exs5cyejr/grasp.git", "wss://relay.ngit.dev"),
        ("https://[::1]:8080/r.git", "wss://[::1]:8080"),
        ("  https://example.com/r.git  ", "wss://example.com"),
        ("https://example.com\r\n", "wss://example.com"),
    ])
    func cloneURL(_ clone: String, _ expected: String) {
        #expect(RelayURL.fromCloneURL(clone)?.description == expected)
    }

    @Test("Clone URLs of other schemes give no relay", arguments: [
        "git://example.com/repo.git", "ssh://git@example.com/repo.git", "git@example.com:repo.git", "ftp://example.com/r.git",
        "wss://example.com/repo.git", "ws://example.com", "example.com/repo.git", "https://", "https:///repo.git", "http://:80/x",
        "file:///srv/git/repo.git", "", "https://example.com:0/r.git", "httpss://example.com/r.git",
    ])
    func cloneURLOther(_ clone: String) {
        #expect(RelayURL.fromCloneURL(clone) == nil)
    }
}
