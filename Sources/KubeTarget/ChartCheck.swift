import Engine
import Foundation
import Strategy
import YAML

/// What `helm template` rendered, checked against the strategy's `expect` entries before anything
/// is installed. A values file written for another chart generation renders other workloads (the
/// 1.5 charts read `slim.deploymentMode`, the 1.4 ones `slim.daemonset`), so a missing expected
/// workload is reported as a generation mismatch, not discovered after a deploy.
public struct ChartMismatch: Error, Sendable, CustomStringConvertible {
    public var release: String
    public var chart: String
    public var generation: String?
    public var problems: [String]
    public var rendered: [String]

    public var description: String {
        var s = "the chart \(chart) rendered for release `\(release)` does not contain what the strategy expects:\n"
        s += problems.map { "    - \($0)" }.joined(separator: "\n")
        s += "\n  it rendered: " + (rendered.isEmpty ? "nothing" : rendered.joined(separator: ", "))
        s += "\n  the values file was written for "
        s += generation.map { "chart generation \($0)" } ?? "another chart generation"
        s += "; this chart is of another generation or the values do not fit it. Nothing was installed."
        return s
    }
}

/// One object the chart must render: a strategy `expect` entry.
public struct Expected: Sendable {
    public var kind: String
    public var name: String
    public var fields: [(key: String, value: Value)]
    public init(kind: String, name: String, fields: [(key: String, value: Value)] = []) {
        self.kind = kind
        self.name = name
        self.fields = fields
    }
    public init(_ e: Expectation) { self.init(kind: e.kind, name: e.name, fields: e.fields) }
}

public enum ChartCheck {
    /// Checks the rendered manifests (helm template output) against the expectations.
    public static func check(
        manifests: [Value], expect: [Expected], release: String, chart: String,
        generation: String?, valuesKeysHint: [String] = []
    ) throws {
        let objects = manifests.filter { !$0.isNull && $0["kind"]?.stringValue != nil }
        var problems: [String] = []
        for e in expect {
            guard let o = objects.first(where: { $0["kind"]?.stringValue == e.kind && $0.lookup(["metadata", "name"])?.stringValue == e.name }) else {
                // Same-named objects of the same family (a StatefulSet for a missing DaemonSet) tell the story.
                let family = Readiness.workloadKinds.contains(e.kind) ? Readiness.workloadKinds : [e.kind]
                let sameName = objects.filter { $0.lookup(["metadata", "name"])?.stringValue == e.name }.compactMap { $0["kind"]?.stringValue }
                    .filter { family.contains($0) }
                problems.append("no \(e.kind) `\(e.name)`" + (sameName.isEmpty ? "" : " (there is a \(sameName.joined(separator: " and a ")) of that name)"))
                continue
            }
            for (key, want) in e.fields {
                let path = key.split(separator: ".").map(String.init)
                let got = o.lookup(["spec"] + path) ?? o.lookup(path)
                if got.map({ !$0.semanticallyEquals(want) }) ?? true {
                    problems.append("\(e.kind) `\(e.name)` has \(key): \(got.map(describe) ?? "(not set)"), expected \(describe(want))")
                }
            }
        }
        guard !problems.isEmpty else { return }
        problems += valuesKeysHint
        let rendered = objects.map { "\($0["kind"]?.stringValue ?? "?") \($0.lookup(["metadata", "name"])?.stringValue ?? "?")" }
        throw ChartMismatch(release: release, chart: chart, generation: generation, problems: problems, rendered: rendered)
    }

    static func describe(_ v: Value) -> String {
        switch v {
        case .string(let s): return s
        case .null: return "null"
        default: return v.jsonString()
        }
    }
}

extension ChartMismatch: HintedError {
    public var hint: String? {
        "pin the chart version the values were written for in the strategy (chart.version), or update the values for this chart"
    }
}
