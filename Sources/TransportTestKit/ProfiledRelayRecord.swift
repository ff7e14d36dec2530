import Foundation
import Nostr

/// What a `ProfiledRelayServer` saw and refused, shared by its connections (thread-safe).
final class ProfiledRelayRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var refusals: [ProfiledRelayServer.Refusal] = []
    private var messages = 0
    private var bytes = 0

    func received(bytes count: Int) {
        lock.withLock {
            messages += 1
            bytes += count
        }
    }

    func refused(_ refusal: ProfiledRelayServer.Refusal) {
        lock.withLock { refusals.append(refusal) }
    }

    var allRefusals: [ProfiledRelayServer.Refusal] { lock.withLock { refusals } }
    var messageCount: Int { lock.withLock { messages } }
    var byteCount: Int { lock.withLock { bytes } }
}
