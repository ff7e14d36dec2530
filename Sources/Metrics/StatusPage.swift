import Health

/// The HTML status page served on `GET /` to browsers (`Accept: text/html`): rendered on
/// the server from the same ``RelayStatusDocument`` as `/status`, no scripts, refreshed by
/// the browser every ``refreshSeconds`` (`<meta http-equiv="refresh">`).
///
/// Every string that can come from outside (relay URLs from announcements, error texts
/// relays send) is HTML-escaped; the page carries a Content-Security-Policy that allows no
/// scripts at all, so even a mistake in escaping could not run one.
public enum StatusPage {
    /// The HTTP `Content-Type` of the page.
    public static let contentType = "text/html; charset=utf-8"
    /// Sent with the page: no scripts, no external loads, inline styles only.
    public static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    /// Seconds between the browser's reloads.
    public static let refreshSeconds = 10

    /// Names of the kinds the node stores, for the kind table.
    static let kindNames: [Int: String] = [
        1: "note", 5: "deletion", 7: "reaction", 1111: "comment (NIP-22)", 1617: "patch", 1618: "pull request",
        1619: "pull request update", 1621: "issue", 1622: "reply", 1630: "status: open", 1631: "status: applied/merged",
        1632: "status: closed", 1633: "status: draft", 10317: "user grasp list", 30617: "repository announcement",
        30618: "repository state",
    ]

    /// The page of `document`, with times relative to `now` (Unix seconds).
    public static func html(_ document: RelayStatusDocument, now: Double) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>grasp-sync status</title>
            <style>
            body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5em;color:#1d2330;background:#f7f8fa}
            h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.6em 0 .5em}
            .meta{color:#5a6272}.meta span{margin-right:1.5em}
            table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08)}
            th,td{padding:.35em .7em;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
            th{background:#eef0f4;font-weight:600;white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}
            td.url,td.err{font-family:ui-monospace,Menlo,monospace;font-size:.92em;word-break:break-all;max-width:32em}
            .pill{display:inline-block;padding:0 .55em;border-radius:1em;font-size:.88em;white-space:nowrap}
            .healthy{background:#d9f2e0;color:#135c2b}.degraded{background:#fff1c9;color:#6b4e00}
            .dead{background:#f9d6d6;color:#7a1616}.rate_limited{background:#e3dcfa;color:#3c2a80}
            .disconnected{background:#e6e8ec;color:#3b4250}
            .totals span{margin-right:1.5em}
            </style>
            </head>
            <body>
            <h1>grasp-sync</h1>

            """
        h += "<p class=\"meta\">"
        if let node = document.node {
            h += "<span id=\"version\">version \(escape(node.version))</span>"
            h += "<span id=\"uptime\" title=\"started \(DurationText.iso8601(node.startedAt))\">up \(DurationText.short(node.uptimeSeconds))</span>"
        }
        h += "<span id=\"generated\">as of \(DurationText.iso8601(document.generatedAt))</span>"
        h += "<span>refreshes every \(refreshSeconds) s</span></p>\n"

        if let node = document.node {
            h += "<h2>Stored events: <span id=\"stored-events\">\(node.storedEvents)</span></h2>\n"
            h += "<table id=\"kinds\"><thead><tr><th>kind</th><th>what</th><th>events</th></tr></thead><tbody>\n"
            if node.kindCounts.isEmpty { h += "<tr><td colspan=\"3\">no events stored yet</td></tr>\n" }
            for (kind, count) in node.kindCounts {
                h += "<tr class=\"kind\"><td class=\"n\">\(kind)</td><td>\(escape(kindNames[kind] ?? ""))</td><td class=\"n\">\(count)</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }

        let t = document.totals
        h += "<h2>Relays</h2>\n<p class=\"totals\"><span>tracked \(t.trackedRelays)</span><span>connected \(t.connectedRelays)</span>"
        h += "<span>dead \(t.deadRelays)</span><span>naughty \(t.naughtyRelays)</span></p>\n"
        if document.relays.isEmpty {
            h += "<p id=\"no-relays\">No relays tracked.</p>\n"
        } else {
            h += "<table id=\"relays\"><thead><tr><th>relay</th><th>status</th><th>health</th><th>failures</th><th>next retry</th>"
            h += "<th>mode</th><th>repos</th><th>root events</th><th>last error</th></tr></thead><tbody>\n"
            for r in document.relays {
                h += "<tr class=\"relay\" data-url=\"\(escape(r.url.description))\">"
                h += "<td class=\"url\">\(escape(r.url.description))</td>"
                h += "<td>\(escape(r.connectionStatus.description))</td>"
                h += "<td><span class=\"pill \(r.health.name)\">\(escape(r.health.name.replacingOccurrences(of: "_", with: " ")))</span></td>"
                h += "<td class=\"n\">\(r.consecutiveFailures)</td>"
                // A due retry reads "now" (``DurationText/due(_:now:)``), in a cell of its own.
                if let at = r.nextRetryAt, at > now {
                    h += "<td title=\"\(DurationText.iso8601(at))\">\(escape(DurationText.relative(at, now: now)))</td>"
                } else {
                    h += "<td>now</td>"
                }
                h += "<td>\(escape(r.syncMode?.label ?? "not known yet"))</td>"
                h += "<td class=\"n\">\(r.confirmedRepos)</td><td class=\"n\">\(r.confirmedRootEvents)</td>"
                h += "<td class=\"err\">\(r.lastError.map(escape) ?? "")</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        h += "<p class=\"meta\">JSON: <a href=\"/status\">/status</a> · Prometheus: <a href=\"/metrics\">/metrics</a></p>\n"
        h += "</body>\n</html>\n"
        return h
    }

    /// `text` safe inside HTML text and double- or single-quoted attributes.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "`": out += "&#96;"
            default:
                // Control characters (other than tab/newline) are not text.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" || (0x7F...0x9F).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
