import HummingbirdWSCompression
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket

extension WebSocketExtensionFactory {
    /// permessage-deflate whose "decompressed message too large" failure closes the
    /// connection with 1009 (message too big) as documented, instead of the library's 1011.
    static func sizeMappedPerMessageDeflate(maxDecompressedFrameSize: Int) -> WebSocketExtensionFactory {
        let base = WebSocketExtensionFactory.perMessageDeflate(maxDecompressedFrameSize: maxDecompressedFrameSize)
        return WebSocketExtensionFactory { SizeMappedExtensionBuilder(base: base.build()) }
    }
}

/// Negotiates exactly as its base builder; wraps the extension it makes.
struct SizeMappedExtensionBuilder: WebSocketExtensionBuilder {
    static let name = "permessage-deflate"
    let base: any WebSocketExtensionBuilder

    func clientRequestHeader() -> String { base.clientRequestHeader() }
    func serverReponseHeader(to request: WebSocketExtensionHTTPParameters) -> String? { base.serverReponseHeader(to: request) }
    func serverExtension(from request: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        try base.serverExtension(from: request).map { SizeMappedExtension(base: $0) }
    }
    func clientExtension(from response: WebSocketExtensionHTTPParameters) throws -> (any WebSocketExtension)? {
        try base.clientExtension(from: response).map { SizeMappedExtension(base: $0) }
    }
}

/// Maps the decompressor's output-overflow error (compress-nio's `bufferOverflow`: the
/// message inflates past the limit) to `NIOWebSocketError.invalidFrameLength`, which the
/// WebSocket handler answers with close code 1009.
struct SizeMappedExtension: WebSocketExtension {
    let base: any WebSocketExtension
    var name: String { base.name }
    var reservedBits: WebSocketFrame.ReservedBits { base.reservedBits }

    func processReceivedFrame(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        do {
            return try await base.processReceivedFrame(frame, context: context)
        } catch where String(describing: error).contains("bufferOverflow") {
            throw NIOWebSocketError.invalidFrameLength
        }
    }

    func processFrameToSend(_ frame: WebSocketFrame, context: WebSocketExtensionContext) async throws -> WebSocketFrame {
        try await base.processFrameToSend(frame, context: context)
    }

    func shutdown() async { await base.shutdown() }
}
