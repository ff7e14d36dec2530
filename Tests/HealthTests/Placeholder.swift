import Testing

@Test func placeholder_HealthTests() { #expect(Bool(true)) }
