import Store

extension RelayConnectionHandler {
    /// Every store failure behind an `error:` answer is logged with SQLite's text, which
    /// carries its result code (`SQLite error 11: database disk image is malformed`).
    func logStoreError(_ error: StoreError, _ doing: String) {
        relay.logger.error("store error while \(doing): \(error.description)")
    }
}
