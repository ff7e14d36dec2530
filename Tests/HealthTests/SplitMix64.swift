import Nostr

extension SplitMix64 {
    /// A uniform sample in `[0, 1)`, as the tracker draws it.
    mutating func sample() -> Double { Double.random(in: 0..<1, using: &self) }
}
