import Testing

@Test func placeholder_ReconcileTests() { #expect(Bool(true)) }
