extension ConnectionFailureKind {
    /// Classifies a free-form error text.
    ///
    /// Misconfiguration is detected by ``FailureClassifier`` exactly as the reference does
    /// (decisions: Naughty list). Texts it calls transient are split further, by keyword, into
    /// ``refused``, ``timeout`` and ``closedByPeer``, falling back to ``other``; that split only
    /// affects reporting, all four are retried with the normal backoff.
    public init(classifying errorText: String) {
        if let category = FailureClassifier.misconfigurationCategory(of: errorText) {
            self = category.failureKind
            return
        }
        let text = errorText.lowercased()
        if text.contains("refused") {
            self = .refused
        } else if text.contains("timed out") || text.contains("timeout") {
            self = .timeout
        } else if text.contains("reset by peer") || text.contains("connection reset")
            || text.contains("closed by peer") || text.contains("unexpected eof")
        {
            self = .closedByPeer
        } else {
            self = .other
        }
    }
}
