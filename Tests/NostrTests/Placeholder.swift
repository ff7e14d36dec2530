import Testing

@Test func placeholder_NostrTests() { #expect(Bool(true)) }
