extension RelayLifecycleStateMachine {
    /// Why a connection attempt failed or an established connection ended: the kind decides
    /// the health tracker's retry delay, the message is shown in logs and `/status`.
    public struct Failure: Sendable, Equatable {
        /// What went wrong.
        public var kind: ConnectionFailureKind
        /// The error text.
        public var message: String

        /// Creates a failure.
        public init(kind: ConnectionFailureKind, message: String) {
            self.kind = kind
            self.message = message
        }
    }
}
