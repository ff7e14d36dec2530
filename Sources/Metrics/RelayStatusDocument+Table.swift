import Health

extension RelayStatusDocument {
    /// The document as a plain-text table for a terminal (`grasp-sync status`): the node,
    /// stored events by kind, one row per relay and the totals. Times are ISO-8601 and
    /// relative to `now`. Control characters in relay-supplied text are replaced, so a
    /// hostile error text cannot move the cursor or recolour the terminal.
    public func textTable(now: Double) -> String {
        var out: [String] = []
        if let node {
            out.append("grasp-sync \(Self.printable(node.version)), up \(DurationText.short(node.uptimeSeconds)) (since \(DurationText.iso8601(node.startedAt)))")
            out.append("stored events: \(node.storedEvents)")
            let kinds = node.kindCounts
            if !kinds.isEmpty {
                out.append(Self.table(header: ["KIND", "EVENTS"], rows: kinds.map { [String($0.kind), String($0.count)] }, rightAligned: [0, 1]))
            }
            out.append("")
        }
        out.append("status at \(DurationText.iso8601(generatedAt)); \(totals.trackedRelays) relays tracked, \(totals.connectedRelays) connected, \(totals.deadRelays) dead")
        if relays.isEmpty {
            out.append("no relays tracked")
        } else {
            let rows = relays.map { r -> [String] in
                [Self.printable(r.url.description), r.connectionStatus.description, r.health.name, String(r.consecutiveFailures),
                 r.nextRetryAt.map { DurationText.due($0, now: now) } ?? "-",
                 r.syncMode?.label ?? "-", String(r.confirmedRepos), String(r.confirmedRootEvents),
                 r.lastError.map { Self.printable(Self.clip($0, 60)) } ?? "-"]
            }
            out.append(Self.table(header: ["RELAY", "STATUS", "HEALTH", "FAILURES", "NEXT RETRY", "MODE", "REPOS", "ROOT EVENTS", "LAST ERROR"],
                                  rows: rows, rightAligned: [3, 6, 7]))
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Columns padded to their widest cell, separated by two spaces.
    static func table(header: [String], rows: [[String]], rightAligned: Set<Int>) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                if column == row.count - 1, !rightAligned.contains(column) { return cell }
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `text` with control characters (C0, DEL, C1) replaced by U+FFFD.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { s in
            (s.value < 0x20 || (0x7F...0x9F).contains(s.value)) ? "\u{FFFD}" : s
        }))
    }

    static func clip(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}
