// Line harness for hoytech/negentropy's conformance tests (test/*.pl).
//
// stdin:  item,<ts>,<hexid> | seal | initiate | msg,<hex>
// stdout: msg,<hex> | have,<hexid> | need,<hexid> | done
// env:    FRAMESIZELIMIT (bytes, 0 or unset = unlimited)
//
// Exits non-zero with a message on stderr on any error, including an outgoing
// message larger than the frame size limit.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Reconcile

/// Writes all of `text` to a file descriptor. Raw write(2) is unbuffered, so every
/// line reaches the driving process at once (the C `stdout` global is not usable
/// under Swift 6 strict concurrency).
func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { buf in
        var offset = 0
        while offset < buf.count {
            let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                exit(2)
            }
            offset += n
        }
    }
}

/// Prints an error to stderr and exits with status 1.
func fail(_ message: String) -> Never {
    writeAll(2, "negentropy-harness: \(message)\n")
    exit(1)
}

struct Harness {
    let frameSizeLimit: Int
    var storage = NegentropyStorage()
    var engine: Negentropy?

    func checkFrame(_ message: [UInt8], from who: String) {
        if frameSizeLimit != 0 && message.count > frameSizeLimit {
            fail("frameSizeLimit exceeded: \(message.count) > \(frameSizeLimit): from \(who)")
        }
    }

    mutating func handle(_ line: Substring) throws {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false)
        switch fields[0] {
        case "item":
            guard fields.count == 3 else { fail("wrong num of fields") }
            guard let ts = UInt64(fields[1]) else { fail("bad timestamp: \(fields[1])") }
            guard let bytes = NegentropyHex.decode(fields[2]), let id = NegentropyID(bytes: bytes) else {
                fail("bad id: \(fields[2])")
            }
            try storage.insert(timestamp: ts, id: id)
        case "seal":
            try storage.seal()
            engine = try Negentropy(storage: storage, frameSizeLimit: frameSizeLimit)
        case "initiate":
            guard var ne = engine else { fail("initiate before seal") }
            let message = try ne.initiate()
            engine = ne
            checkFrame(message, from: "initiator")
            writeAll(1, "msg," + NegentropyHex.encode(message) + "\n")
        case "msg":
            guard var ne = engine else { fail("msg before seal") }
            var input: [UInt8] = []
            if fields.count >= 2 {
                guard let decoded = NegentropyHex.decode(fields[1]) else { fail("bad hex in msg") }
                input = decoded
            }
            if ne.isInitiator {
                var have: [NegentropyID] = []
                var need: [NegentropyID] = []
                let next = try ne.reconcile(input, have: &have, need: &need)
                engine = ne
                var out = ""
                for id in have { out += "have," + id.hex + "\n" }
                for id in need { out += "need," + id.hex + "\n" }
                if let next {
                    checkFrame(next, from: "initiator")
                    out += "msg," + NegentropyHex.encode(next) + "\n"
                } else {
                    out += "done\n"
                }
                writeAll(1, out)
            } else {
                let reply = try ne.reconcile(input)
                engine = ne
                checkFrame(reply, from: "non-initiator")
                writeAll(1, "msg," + NegentropyHex.encode(reply) + "\n")
            }
        default:
            fail("unknown cmd: \(fields[0])")
        }
    }
}

var limit = 0
if let env = getenv("FRAMESIZELIMIT") {
    guard let value = Int(String(cString: env)), value >= 0 else { fail("bad FRAMESIZELIMIT") }
    limit = value
}
var harness = Harness(frameSizeLimit: limit)
while let line = readLine(strippingNewline: true) {
    if line.isEmpty { continue }
    do {
        try harness.handle(line[...])
    } catch {
        fail("\(error)")
    }
}
