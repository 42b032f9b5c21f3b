import Foundation
import YAML

/// The outcome of one `slimctl ci` run: every step, check and test as a case, so it renders the
/// same way as JUnit XML (GitHub, GitLab, Jenkins), as JSON, and as a GitHub step summary.
public struct CIReport: Sendable, Codable {
    public struct Case: Sendable, Codable {
        /// `deploy`, `verify`, `test`, or `teardown`.
        public var group: String
        public var name: String
        /// passed, failed, skipped.
        public var status: CaseStatus
        public var seconds: Double
        public var message: String?
        /// Log lines that explain a failure.
        public var details: [String]

        public init(group: String, name: String, status: CaseStatus, seconds: Double, message: String? = nil, details: [String] = []) {
            self.group = group
            self.name = name
            self.status = status
            self.seconds = seconds
            self.message = message
            self.details = details
        }
    }

    public var schema = "slimctl.ci/v1"
    public var strategy: String
    public var target: String
    public var startedAt: Date
    public var seconds: Double
    /// passed, failed, error (configuration or environment), interrupted.
    public var result: String
    public var exitCode: Int32
    public var diagnostics: String?
    public var cases: [Case]

    public init(strategy: String, target: String, startedAt: Date) {
        self.strategy = strategy
        self.target = target
        self.startedAt = startedAt
        self.seconds = 0
        self.result = "passed"
        self.exitCode = 0
        self.cases = []
    }

    public var failures: [Case] { cases.filter { $0.status == .failed } }

    /// In slimctl's one JSON style (as `-o json`): no `\/` escapes, seconds to the
    /// millisecond, keys sorted.
    public func json() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        let v = try Value(jsonBytes: Array(try e.encode(self)))
        return Data((v.roundingFloats().jsonString(pretty: true) + "\n").utf8)
    }

    /// The bytes of one report file: `junit` (XML) or `json`. The caller writes them atomically
    /// (temp file and rename), so a CI system never picks up half a report.
    public func data(format: String) throws -> Data {
        format == "junit" ? Data(junit().utf8) : try json()
    }

    /// JUnit XML as the common consumers read it: one `testsuite` per group inside `testsuites`.
    public func junit() -> String {
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let total = cases.count, failed = failures.count, skipped = cases.filter { $0.status == .skipped }.count
        x +=
            "<testsuites name=\"\(esc("slimctl ci \(strategy)"))\" tests=\"\(total)\" failures=\"\(failed)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(fmt(seconds))\">\n"
        var groups: [String] = []
        for c in cases where !groups.contains(c.group) { groups.append(c.group) }
        let stamp = ISO8601DateFormatter().string(from: startedAt)
        for g in groups {
            let cs = cases.filter { $0.group == g }
            x +=
                "  <testsuite name=\"\(esc("\(strategy).\(g)"))\" tests=\"\(cs.count)\" failures=\"\(cs.filter { $0.status == .failed }.count)\" errors=\"0\" skipped=\"\(cs.filter { $0.status == .skipped }.count)\" time=\"\(fmt(cs.map(\.seconds).reduce(0, +)))\" timestamp=\"\(stamp)\">\n"
            for c in cs {
                x += "    <testcase classname=\"\(esc("slimctl.\(strategy).\(g)"))\" name=\"\(esc(c.name))\" time=\"\(fmt(c.seconds))\""
                switch c.status {
                case .failed:
                    x +=
                        ">\n      <failure message=\"\(esc(c.message ?? "failed"))\" type=\"\(esc(g))\">\(esc(([c.message ?? ""] + c.details).joined(separator: "\n")))</failure>\n    </testcase>\n"
                case .skipped:
                    x += ">\n      <skipped message=\"\(esc(c.message ?? ""))\"/>\n    </testcase>\n"
                default:
                    x += "/>\n"
                }
            }
            x += "  </testsuite>\n"
        }
        return x + "</testsuites>\n"
    }

    /// Markdown for `$GITHUB_STEP_SUMMARY`.
    public func githubSummary() -> String {
        var s =
            "### slimctl ci \(strategy) (\(target)): \(result == "passed" ? "✅ passed" : "❌ \(result)")\n\n| group | case | result | time |\n| --- | --- | --- | --- |\n"
        for c in cases {
            s +=
                "| \(c.group) | \(c.name.replacingOccurrences(of: "|", with: "\\|")) | \(c.status)\(c.message.map { ": " + $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") } ?? "") | \(fmt(c.seconds))s |\n"
        }
        if let d = diagnostics { s += "\nDiagnostics: `\(d)`\n" }
        return s
    }

    /// `::error` workflow commands, one per failure (newlines escaped as GitHub requires).
    public func githubAnnotations() -> [String] {
        failures.map { c in
            let msg = ([c.message ?? "failed"] + c.details.prefix(5)).joined(separator: "\n")
            return "::error title=\(ghEscape("slimctl ci \(strategy): \(c.group) \(c.name)", property: true))::\(ghEscape(msg, property: false))"
        }
    }

    func ghEscape(_ s: String, property: Bool) -> String {
        var out = s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
        if property { out = out.replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C") }
        return out
    }

    func fmt(_ d: Double) -> String { String(format: "%.3f", d) }

    /// XML text and attribute escaping; characters XML 1.0 forbids (most C0 controls, e.g. stray
    /// ANSI escapes in logs) are dropped so every consumer can parse the file.
    func esc(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(u)
            default:
                if u.value < 0x20 || (0xFFFE...0xFFFF).contains(u.value) { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
