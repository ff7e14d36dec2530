import Testing

@Test func placeholder_LayersTests() { #expect(Bool(true)) }
