/// A strict parser of the Prometheus text exposition format 0.0.4, enough to check what
/// `NodeMetrics.exposition()` emits: `# HELP`, `# TYPE` and sample lines, escaped label
/// values, and the format's rules that a family's `# TYPE` comes once and before its
/// samples, and that a family's lines are not interleaved with another family's.
struct ParsedExposition {
    /// A line the parser could not accept.
    struct FormatError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    /// `# TYPE` per family name.
    var types: [String: String] = [:]
    /// `# HELP` text per family name (unescaped).
    var help: [String: String] = [:]
    /// Every sample, in order.
    var samples: [ExpositionSample] = []

    /// Parses `text`, throwing ``FormatError`` on the first malformed line.
    init(_ text: String) throws {
        var finishedFamilies = Set<String>()
        var currentFamily: String?
        func enterFamily(_ name: String, line: Int) throws {
            guard currentFamily != name else { return }
            if let current = currentFamily { finishedFamilies.insert(current) }
            guard !finishedFamilies.contains(name) else {
                throw FormatError(line: line, message: "lines of \(name) are not grouped together")
            }
            currentFamily = name
        }

        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = String(rawLine)
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst("# HELP ".count)
                guard let space = rest.firstIndex(of: " ") else { throw FormatError(line: number, message: "HELP without text") }
                let name = String(rest[..<space])
                try enterFamily(name, line: number)
                guard help[name] == nil else { throw FormatError(line: number, message: "second HELP for \(name)") }
                help[name] = Self.unescape(String(rest[rest.index(after: space)...]), quotes: false)
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst("# TYPE ".count).split(separator: " ")
                guard parts.count == 2 else { throw FormatError(line: number, message: "malformed TYPE") }
                let name = String(parts[0])
                let type = String(parts[1])
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(type) else {
                    throw FormatError(line: number, message: "unknown type \(type)")
                }
                try enterFamily(name, line: number)
                guard types[name] == nil else { throw FormatError(line: number, message: "second TYPE for \(name)") }
                guard !samples.contains(where: { $0.name == name }) else {
                    throw FormatError(line: number, message: "TYPE of \(name) after its samples")
                }
                types[name] = type
            } else if line.hasPrefix("#") {
                continue  // Other comments are allowed.
            } else {
                let sample = try Self.parseSample(line, number: number)
                try enterFamily(Self.familyName(of: sample.name, types: types), line: number)
                samples.append(sample)
            }
        }
    }

    /// The value of the sample `name` with exactly `labels`, if present.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// All samples of `name`.
    func samples(named name: String) -> [ExpositionSample] {
        samples.filter { $0.name == name }
    }

    /// The distinct values of label `label` over the samples of `name`.
    func labelValues(_ name: String, _ label: String) -> Set<String> {
        Set(samples(named: name).compactMap { $0.labels[label] })
    }

    // MARK: Parsing helpers

    private static func familyName(of sampleName: String, types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sampleName.hasSuffix(suffix) {
            let base = String(sampleName.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return sampleName
    }

    private static func parseSample(_ line: String, number: Int) throws -> ExpositionSample {
        let chars = Array(line)
        var i = 0
        var name = ""
        while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == ":" {
            name.append(chars[i])
            i += 1
        }
        guard let first = name.first, !first.isNumber else {
            throw FormatError(line: number, message: "bad metric name in \(line)")
        }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var labelName = ""
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" {
                    labelName.append(chars[i])
                    i += 1
                }
                guard !labelName.isEmpty, i + 1 < chars.count, chars[i] == "=", chars[i + 1] == "\"" else {
                    throw FormatError(line: number, message: "bad label in \(line)")
                }
                i += 2
                var value = ""
                var closed = false
                while i < chars.count {
                    let c = chars[i]
                    if c == "\\" {
                        guard i + 1 < chars.count else { break }
                        switch chars[i + 1] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw FormatError(line: number, message: "bad escape in \(line)")
                        }
                        i += 2
                    } else if c == "\"" {
                        closed = true
                        i += 1
                        break
                    } else {
                        value.append(c)
                        i += 1
                    }
                }
                guard closed else { throw FormatError(line: number, message: "unterminated label value in \(line)") }
                guard labels[labelName] == nil else { throw FormatError(line: number, message: "duplicate label \(labelName)") }
                labels[labelName] = value
                if i < chars.count, chars[i] == "," { i += 1 }
            }
            guard i < chars.count, chars[i] == "}" else { throw FormatError(line: number, message: "unterminated labels in \(line)") }
            i += 1
        }
        guard i < chars.count, chars[i] == " " else { throw FormatError(line: number, message: "no value in \(line)") }
        let fields = String(chars[(i + 1)...]).split(separator: " ")
        guard (1...2).contains(fields.count), let value = parseValue(String(fields[0])) else {
            throw FormatError(line: number, message: "bad value in \(line)")
        }
        if fields.count == 2, Int64(fields[1]) == nil {
            throw FormatError(line: number, message: "bad timestamp in \(line)")
        }
        return ExpositionSample(name: name, labels: labels, value: value)
    }

    private static func parseValue(_ text: String) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    private static func unescape(_ text: String, quotes: Bool) -> String {
        var result = ""
        var escaping = false
        for c in text {
            if escaping {
                switch c {
                case "n": result.append("\n")
                case "\\": result.append("\\")
                case "\"" where quotes: result.append("\"")
                default:
                    result.append("\\")
                    result.append(c)
                }
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else {
                result.append(c)
            }
        }
        if escaping { result.append("\\") }
        return result
    }
}
