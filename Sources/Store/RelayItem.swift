/// One row of the store's per-relay item sets: a value (a repository coordinate or an event
/// id) and a level the caller gives meaning to (the sync engine: 0 for a root event, the
/// sync level for a repository).
public struct RelayItem: Sendable, Hashable {
    public var value: String
    public var level: Int

    public init(value: String, level: Int) {
        self.value = value
        self.level = level
    }
}
