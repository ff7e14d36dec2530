import Nostr

extension Filter {
    /// This filter within `window`'s time bounds (the later `since`, the earlier `until`).
    func restricted(to window: Filter) -> Filter {
        var f = self
        if let s = window.since { f.since = max(f.since ?? s, s) }
        if let u = window.until { f.until = min(f.until ?? u, u) }
        return f
    }
}
