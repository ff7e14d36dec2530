import Nostr

/// Shared keys, events and helpers for the Nostr tests.
enum Fixtures {
    /// BIP-340 test vector 1's secret key; its x-only public key is `keypair.publicKey`.
    static let secretKeyHex = "b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef"
    static let keypair = NostrKeypair(secretKeyHex: secretKeyHex)!
    static let publicKeyHex = "dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659"
    /// A second key (BIP-340 vector 0, secret key 3).
    static let otherKeypair = NostrKeypair(secretKeyHex: String(repeating: "0", count: 63) + "3")!
    /// Deterministic signing: all-zero auxiliary randomness.
    static let zeroAux = [UInt8](repeating: 0, count: 32)

    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }

    static func hex64(_ c: Character) -> String { String(repeating: c, count: 64) }

    /// A real, published kind-1 note (nostr-tools' test fixture): content with `"` and `\n`.
    static let wineEvent = NostrEvent(
        id: "d7dd5eb3ab747e16f8d0212d53032ea2a7cadef53837e5a6c66d42849fcb9027",
        pubkey: "22a12a128a3be27cd7fb250cbe796e692896398dc1440ae3fa567812c8107c1c",
        createdAt: 1_670_869_179,
        kind: 1,
        tags: [["client", "astral"]],
        content: "NOSTR \"WINE-ACCOUNT\" WITH HARVEST DATE STAMPED\n\n\n\"The older the wine, the greater its reputation\"\n\n\n22a12a128a3be27cd7fb250cbe796e692896398dc1440ae3fa567812c8107c1c\n\n\nNWA 2022-12-12\nAA",
        sig: "f110e4fdf67835fb07abc72469933c40bdc7334615610cade9554bf00945a1cebf84f8d079ec325d26fefd76fe51cb589bdbe208ac9cdbd63351ddad24a57559"
    )

    /// A real, published kind-1 reply with non-ASCII content, exactly as it travels on the wire:
    /// `ö` and four emoji written as `\u` escapes (three of them surrogate pairs).
    static let lillordagWireJSON = #"""
    {"id":"cd720b23163210ebddec88bc4e74d83c9667cdf11b95d376865315c686ed34eb","pubkey":"11d0b66747887ba9a6d34b23eb31287374b45b1a1b161eac54cb183c53e00ef7","created_at":1684947090,"kind":1,"tags":[["e","f9f30e37adffe3afe12fda2f8db4502ece334f261273a9a0be7e8adb29b35145"],["p","9eefd04d32ab5da8de12d7b83201578ea095a676acf3a692ec1b0b202ae4e16f"]],"content":"I'll take a large lill\u00f6rdag please.\n\n\ud83d\ude0e\ud83e\udd19\ud83d\udc47\ud83c\udf7b\n\nnostr:nevent1qqs0nucwx7kllca0uyha5tudk3gzan3nfunpyuaf5zl8azkm9xe4z3gpzamhxue69uhhyetvv9ujumn0wd68ytnzv9hxgtczyz0wl5zdx244m2x7zttmsvsp2782p9dxw6k08f5jasdskgp2unsk7qcyqqqqqqgncdx20","sig":"6c66e42dd481a0769148be33932a643672710f0ed83eeaaf4af5fe0f53e52b810a924ba2498354b8b00a54f065f4de0d92c42c70fdb39a2da67ac97baf4f9ae0"}
    """#
    static let lillordagContent = "I'll take a large lillördag please.\n\n😎🤙👇🍻\n\nnostr:nevent1qqs0nucwx7kllca0uyha5tudk3gzan3nfunpyuaf5zl8azkm9xe4z3gpzamhxue69uhhyetvv9ujumn0wd68ytnzv9hxgtczyz0wl5zdx244m2x7zttmsvsp2782p9dxw6k08f5jasdskgp2unsk7qcyqqqqqqgncdx20"

    /// An unsigned event for matching tests (id, pubkey and sig are only shaped right).
    static func event(
        id: String = hex64("a"), pubkey: String = hex64("1"), createdAt: Int64 = 1_000, kind: Int = 1,
        tags: [[String]] = [], content: String = ""
    ) -> NostrEvent {
        NostrEvent(id: id, pubkey: pubkey, createdAt: createdAt, kind: kind, tags: tags, content: content,
                   sig: String(repeating: "0", count: 128))
    }

    /// Flips one bit of a lowercase hex string.
    static func flippingBit(_ bit: Int, of hex: String) -> String {
        var b = bytes(hex)
        b[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
        return Hex.encode(b)
    }
}

extension NostrEvent {
    /// A copy with some fields replaced (tests only).
    func with(
        id: String? = nil, pubkey: String? = nil, createdAt: Int64? = nil, kind: Int? = nil,
        tags: [[String]]? = nil, content: String? = nil, sig: String? = nil
    ) -> NostrEvent {
        NostrEvent(id: id ?? self.id, pubkey: pubkey ?? self.pubkey, createdAt: createdAt ?? self.createdAt,
                   kind: kind ?? self.kind, tags: tags ?? self.tags, content: content ?? self.content,
                   sig: sig ?? self.sig)
    }
}
