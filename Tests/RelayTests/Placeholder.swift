import Testing

@Test func placeholder_RelayTests() { #expect(Bool(true)) }
