import Testing

@Test func placeholder_MetricsTests() { #expect(Bool(true)) }
