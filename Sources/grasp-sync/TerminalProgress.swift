import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on stderr, redrawn in place at most ten times a second, and
/// only when stderr is a terminal (logs and pipes get the summary alone).
final class TerminalProgress {
    let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.enabled = enabled
    }

    /// Seconds since the start.
    var elapsed: Double { Date().timeIntervalSince(started) }

    /// Redraws the line (throttled unless `force`).
    func show(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        drawn = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text()).utf8))
    }

    /// Ends the progress line so the summary starts on its own line.
    func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        drawn = false
    }

    /// "[#########-----------] 45%" for `fraction` in 0...1.
    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let f = min(1, max(0, fraction))
        let filled = Int((f * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + String(format: "%3d%%", Int((f * 100).rounded(.down)))
    }

    /// Counts, rate and (with a known fraction done) the time left.
    func rateAndETA(count: Int, fraction: Double?) -> String {
        let seconds = max(elapsed, 0.001)
        var text = "\(count) events, \(Int(Double(count) / seconds))/s"
        if let fraction, fraction > 0.001, fraction < 1 {
            let left = seconds * (1 - fraction) / fraction
            text += ", ETA \(Self.clock(left))"
        }
        return text
    }

    /// "m:ss" or "h:mm:ss".
    static func clock(_ seconds: Double) -> String {
        let t = Int(seconds.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t % 3600 / 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

/// Writes a line to stderr.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
