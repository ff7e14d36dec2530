import Testing
import Nostr

/// The official BIP-340 test vectors (bitcoin/bips, bip-0340/test-vectors.csv, rows 0–14; rows
/// 15–18 use messages that are not 32 bytes long, which Nostr never signs).
@Suite("BIP-340 Schnorr signatures")
struct SchnorrTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let index: Int
        let secretKey: String?
        let publicKey: String
        let auxRand: String?
        let message: String
        let signature: String
        let valid: Bool
        let comment: String
        var testDescription: String { "vector \(index)\(comment.isEmpty ? "" : ": \(comment)")" }
    }

    static let vectors: [Vector] = [
        Vector(index: 0, secretKey: "0000000000000000000000000000000000000000000000000000000000000003",
               publicKey: "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
               auxRand: "0000000000000000000000000000000000000000000000000000000000000000",
               message: "0000000000000000000000000000000000000000000000000000000000000000",
               signature: "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0",
               valid: true, comment: ""),
        Vector(index: 1, secretKey: "B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF",
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
               auxRand: "0000000000000000000000000000000000000000000000000000000000000001",
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A",
               valid: true, comment: ""),
        Vector(index: 2, secretKey: "C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C9",
               publicKey: "DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8",
               auxRand: "C87AA53824B4D7AE2EB035A2B5BBBCCC080E76CDC6D1692C4B0B62D798E6D906",
               message: "7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C",
               signature: "5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1BAB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7",
               valid: true, comment: ""),
        Vector(index: 3, secretKey: "0B432B2677937381AEF05BB02A66ECD012773062CF3FA2549E44F58ED2401710",
               publicKey: "25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517",
               auxRand: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
               message: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
               signature: "7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3",
               valid: true, comment: "test fails if msg is reduced modulo p or n"),
        Vector(index: 4, secretKey: nil,
               publicKey: "D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9", auxRand: nil,
               message: "4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703",
               signature: "00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C6376AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4",
               valid: true, comment: ""),
        Vector(index: 5, secretKey: nil,
               publicKey: "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
               valid: false, comment: "public key not on the curve"),
        Vector(index: 6, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A14602975563CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2",
               valid: false, comment: "has_even_y(R) is false"),
        Vector(index: 7, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD",
               valid: false, comment: "negated message"),
        Vector(index: 8, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769961764B3AA9B2FFCB6EF947B6887A226E8D7C93E00C5ED0C1834FF0D0C2E6DA6",
               valid: false, comment: "negated s value"),
        Vector(index: 9, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "0000000000000000000000000000000000000000000000000000000000000000123DDA8328AF9C23A94C1FEECFD123BA4FB73476F0D594DCB65C6425BD186051",
               valid: false, comment: "sG - eP is infinite (x(inf) as 0)"),
        Vector(index: 10, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "00000000000000000000000000000000000000000000000000000000000000017615FBAF5AE28864013C099742DEADB4DBA87F11AC6754F93780D5A1837CF197",
               valid: false, comment: "sG - eP is infinite (x(inf) as 1)"),
        Vector(index: 11, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "4A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
               valid: false, comment: "sig[0:32] is not an X coordinate on the curve"),
        Vector(index: 12, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
               valid: false, comment: "sig[0:32] is equal to field size"),
        Vector(index: 13, secretKey: nil,
               publicKey: "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
               valid: false, comment: "sig[32:64] is equal to curve order"),
        Vector(index: 14, secretKey: nil,
               publicKey: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30", auxRand: nil,
               message: "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
               signature: "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
               valid: false, comment: "public key exceeds the field size"),
    ]

    static let signingVectors = vectors.filter { $0.secretKey != nil }

    @Test("Verification result matches the CSV", arguments: vectors)
    func verification(_ v: Vector) {
        let ok = Schnorr.verify(signature: Fixtures.bytes(v.signature), message: Fixtures.bytes(v.message),
                                publicKey: Fixtures.bytes(v.publicKey))
        #expect(ok == v.valid)
    }

    @Test("Signing with the given aux_rand reproduces the signature and public key", arguments: signingVectors)
    func signing(_ v: Vector) throws {
        let skHex = try #require(v.secretKey)
        let auxHex = try #require(v.auxRand)
        let sk = Fixtures.bytes(skHex)
        #expect(Schnorr.publicKey(secretKey: sk) == Fixtures.bytes(v.publicKey))
        let sig = Schnorr.sign(message: Fixtures.bytes(v.message), secretKey: sk, auxRand: Fixtures.bytes(auxHex))
        #expect(sig == Fixtures.bytes(v.signature))

        let pair = try #require(NostrKeypair(secretKeyHex: skHex))
        #expect(pair.publicKey == v.publicKey.lowercased())
        #expect(pair.secretKey == sk)
    }

    @Test("Random-aux signatures differ from each other yet all verify", arguments: signingVectors)
    func randomAux(_ v: Vector) throws {
        let sk = Fixtures.bytes(try #require(v.secretKey))
        let msg = Fixtures.bytes(v.message)
        let pk = Fixtures.bytes(v.publicKey)
        let a = try #require(Schnorr.sign(message: msg, secretKey: sk))
        let b = try #require(Schnorr.sign(message: msg, secretKey: sk))
        #expect(a != b)
        #expect(Schnorr.verify(signature: a, message: msg, publicKey: pk))
        #expect(Schnorr.verify(signature: b, message: msg, publicKey: pk))
    }

    @Test("Flipping any single bit of a valid signature, message or key breaks verification", arguments: [0, 1, 7, 100, 255, 256, 300, 511])
    func bitFlips(_ bit: Int) {
        let v = Self.vectors[1]
        let sig = Fixtures.bytes(v.signature), msg = Fixtures.bytes(v.message), pk = Fixtures.bytes(v.publicKey)
        #expect(Schnorr.verify(signature: sig, message: msg, publicKey: pk))
        var badSig = sig
        badSig[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
        #expect(!Schnorr.verify(signature: badSig, message: msg, publicKey: pk))
        if bit < 256 {
            var badMsg = msg
            badMsg[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            #expect(!Schnorr.verify(signature: sig, message: badMsg, publicKey: pk))
            var badKey = pk
            badKey[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            #expect(!Schnorr.verify(signature: sig, message: msg, publicKey: badKey))
        }
    }

    @Test("Wrong input lengths are refused, not trapped")
    func wrongLengths() {
        let v = Self.vectors[1]
        let sig = Fixtures.bytes(v.signature), msg = Fixtures.bytes(v.message), pk = Fixtures.bytes(v.publicKey)
        let sk = Fixtures.bytes(v.secretKey!)
        #expect(!Schnorr.verify(signature: Array(sig.dropLast()), message: msg, publicKey: pk))
        #expect(!Schnorr.verify(signature: sig + [0], message: msg, publicKey: pk))
        #expect(!Schnorr.verify(signature: sig, message: Array(msg.dropLast()), publicKey: pk))
        #expect(!Schnorr.verify(signature: sig, message: msg, publicKey: Array(pk.dropLast())))
        #expect(!Schnorr.verify(signature: [], message: [], publicKey: []))
        #expect(Schnorr.sign(message: Array(msg.dropLast()), secretKey: sk) == nil)
        #expect(Schnorr.sign(message: msg, secretKey: Array(sk.dropLast())) == nil)
        #expect(Schnorr.sign(message: msg, secretKey: sk, auxRand: [0]) == nil)
        #expect(Schnorr.publicKey(secretKey: Array(sk.dropLast())) == nil)
    }

    @Test("Secret keys outside 1..<n are refused", arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",  // n
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    ])
    func invalidSecretKeys(_ hex: String) {
        #expect(Schnorr.publicKey(secretKey: Fixtures.bytes(hex)) == nil)
        #expect(Schnorr.sign(message: [UInt8](repeating: 0, count: 32), secretKey: Fixtures.bytes(hex)) == nil)
        #expect(NostrKeypair(secretKeyHex: hex) == nil)
    }

    @Test("n-1 and 1 are valid secret keys; 1 gives the generator's x")
    func boundarySecretKeys() throws {
        let one = String(repeating: "0", count: 63) + "1"
        let pair = try #require(NostrKeypair(secretKeyHex: one))
        #expect(pair.publicKey == "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
        #expect(NostrKeypair(secretKeyHex: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140") != nil)
    }

    @Test("NostrKeypair refuses malformed hex", arguments: ["", "zz", "abc", String(repeating: "1", count: 62), String(repeating: "1", count: 66)])
    func keypairBadHex(_ hex: String) {
        #expect(NostrKeypair(secretKeyHex: hex) == nil)
    }

    @Test("A generated keypair signs events that verify")
    func generatedKeypair() throws {
        let a = NostrKeypair.generate()
        let b = NostrKeypair.generate()
        #expect(a != b)
        #expect(Hex.isLowercaseHex(a.publicKey, byteCount: 32))
        #expect(NostrKeypair(secretKey: a.secretKey) == a)
        let event = a.sign(kind: 1, tags: [["t", "x"]], content: "hello", createdAt: 1_700_000_000)
        #expect(event.pubkey == a.publicKey)
        #expect(throws: Never.self) { try event.verify() }
        // Defaults: no tags, empty content.
        let bare = b.sign(kind: 7, createdAt: 1)
        #expect(bare.tags.isEmpty && bare.content.isEmpty)
        #expect(bare.isValid)
    }
}

@Suite("SHA-256 and hex")
struct HashingAndHexTests {
    @Test("SHA-256 known answers", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func sha256(_ input: String, _ expected: String) {
        #expect(Hex.encode(SHA256Digest.hash(input)) == expected)
        #expect(Hex.encode(SHA256Digest.hash(Array(input.utf8))) == expected)
    }

    @Test("SHA-256 hashes a string's UTF-8 bytes")
    func sha256UTF8() {
        let s = "é😀"
        #expect(SHA256Digest.hash(s) == SHA256Digest.hash(Array(s.utf8)))
        #expect(SHA256Digest.hash(s).count == 32)
        // A bridged/non-contiguous-looking string (substring-derived) hashes the same.
        let sub = String("xxé😀xx".dropFirst(2).dropLast(2))
        #expect(SHA256Digest.hash(sub) == SHA256Digest.hash(s))
    }

    @Test("Hex encodes lowercase")
    func encode() {
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.encode([0x00, 0x01, 0x0f, 0x10, 0xab, 0xff]) == "00010f10abff")
        #expect(Hex.encode(Array(0...255).map(UInt8.init)).count == 512)
    }

    @Test("Hex decodes either case and refuses odd length or non-hex", arguments: [
        ("", [UInt8]()), ("00ff", [0x00, 0xff]), ("ABcd", [0xab, 0xcd]), ("0123456789abcdefABCDEF", [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef]),
    ] as [(String, [UInt8])])
    func decodeValid(_ text: String, _ bytes: [UInt8]) {
        #expect(Hex.decode(text) == bytes)
    }

    @Test("Hex refuses bad input", arguments: ["0", "abc", "0g", "g0", "  ", "0x00", "éé", "00 ", "-1"])
    func decodeInvalid(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test("Every byte round-trips")
    func roundTrip() {
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(all)) == all)
        #expect(Hex.decode(Hex.encode(all).uppercased()) == all)
    }

    @Test("isLowercaseHex checks exact length and lowercase digits", arguments: [
        (String(repeating: "a", count: 64), 32, true),
        ("0123456789abcdef" + String(repeating: "0", count: 48), 32, true),
        (String(repeating: "a", count: 63), 32, false),
        (String(repeating: "a", count: 65), 32, false),
        (String(repeating: "A", count: 64), 32, false),
        (String(repeating: "a", count: 63) + "g", 32, false),
        (String(repeating: "a", count: 62) + "é", 32, false),
        (String(repeating: "0", count: 128), 64, true),
        ("", 0, true),
        ("", 32, false),
    ])
    func isLowercaseHex(_ text: String, _ count: Int, _ expected: Bool) {
        #expect(Hex.isLowercaseHex(text, byteCount: count) == expected)
    }
}
