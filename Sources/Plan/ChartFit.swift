import Strategy
import YAML

/// A chart's own metadata (its Chart.yaml), read from the chart in hand before anything renders.
public struct ChartInfo: Sendable, Hashable {
    public var name: String
    public var version: String
    public var appVersion: String?

    public init(name: String, version: String, appVersion: String?) {
        self.name = name
        self.version = version
        self.appVersion = appVersion
    }

    /// From Chart.yaml text (`helm show chart`); nil when it lacks a name or version.
    public init?(chartYAML value: Value) {
        func text(_ v: Value?) -> String? {
            switch v {
            case .string(let s)?: return s
            case .int(let i)?: return String(i)
            case .float(let d)?: return String(d)
            default: return nil
            }
        }
        guard let name = text(value["name"]), let version = text(value["version"]) else { return nil }
        self.init(name: name, version: version, appVersion: text(value["appVersion"]))
    }

    public var display: String { "\(name) \(version)" + (appVersion.map { " (app \($0))" } ?? "") }
}

/// What SLIM's released charts can express, by chart version, so a strategy/chart combination that
/// cannot work is refused with the reason before anything is installed, and hints name the keys of
/// the chart in hand rather than the ones the strategy assumed. Facts from the released charts
/// (slim 1.4.0, 2.2.0; slim-control-plane 1.4.0, 2.2.0).
public enum ChartFit {
    /// The values shape of a SLIM chart: "1.4" (up to 1.4.x) or "2" (1.5 and later: 1.5.x used the
    /// same keys as 2.x). nil for charts that are not SLIM's.
    public static func valuesShape(_ chart: ChartInfo) -> String? {
        guard ["slim", "slim-control-plane"].contains(chart.name), let (major, minor) = majorMinor(chart.version) else { return nil }
        return (major, minor) < (1, 5) ? "1.4" : "2"
    }

    /// Workload kinds the slim chart can render for the data plane, and the key that chooses.
    public static func slimWorkloads(_ chart: ChartInfo) -> (kinds: [String], key: String)? {
        guard chart.name == "slim", let shape = valuesShape(chart) else { return nil }
        return shape == "1.4"
            ? (["DaemonSet", "StatefulSet"], "slim.daemonset (true: DaemonSet, false: StatefulSet)")
            : (["Deployment", "DaemonSet"], "slim.deploymentMode (Deployment or DaemonSet)")
    }

    /// Why this chart cannot serve the release as the strategy declares it; empty when it can.
    public static func problems(chart: ChartInfo, release: HelmRelease, generation: String?) -> [String] {
        var out: [String] = []
        if let w = slimWorkloads(chart) {
            for e in release.expect where workloadKinds.contains(e.kind) && !w.kinds.contains(e.kind) {
                out.append("chart \(chart.display) cannot render a \(e.kind): it renders SLIM as \(w.kinds.joined(separator: " or ")), chosen by \(w.key)")
            }
        }
        if let shape = valuesShape(chart), let generation, ["1.4", "2"].contains(generation), shape != generation {
            out.append("chart \(chart.display) is of chart generation \(shape); the values in use were written for generation \(generation)")
        }
        return out
    }

    /// Keys the values set that the chart in hand does not read, named with the key it reads instead.
    public static func keyHints(chart: ChartInfo, values: Value) -> [String] {
        guard let shape = valuesShape(chart) else { return [] }
        var hints: [String] = []
        if chart.name == "slim" {
            if shape == "1.4", values.lookup(["slim", "deploymentMode"]) != nil {
                hints.append("the values set `slim.deploymentMode`, which chart \(chart.display) does not read; it chooses the workload with `slim.daemonset`")
            }
            if shape == "2", values.lookup(["slim", "daemonset"]) != nil {
                hints.append(
                    "the values set `slim.daemonset`, which chart \(chart.display) does not read; it chooses the workload with `slim.deploymentMode: DaemonSet`"
                )
            }
        }
        return hints
    }

    static let workloadKinds = ["DaemonSet", "StatefulSet", "Deployment"]

    static func majorMinor(_ version: String) -> (Int, Int)? {
        let parts = version.split(separator: ".").prefix(2).map { Int($0.prefix { $0.isNumber }) }
        guard parts.count == 2, let a = parts[0], let b = parts[1] else { return nil }
        return (a, b)
    }

    /// One helm coalesce warning ("destination for slim.config.northbound is a table. Ignoring
    /// non-table value (…)", "cannot overwrite table with non table for slim.slim.service (…)"):
    /// the values path it names, without the chart name helm puts first.
    public static func ignoredValuePath(_ warning: String, chart: String) -> [String]? {
        let patterns = [
            ("destination for ", " is a table"), ("cannot overwrite table with non table for ", " ("),
            ("skipped value for ", ":")
        ]
        for (start, end) in patterns {
            guard let a = warning.range(of: start), let b = warning.range(of: end, range: a.upperBound..<warning.endIndex) else { continue }
            var path = warning[a.upperBound..<b.lowerBound].split(separator: ".").map(String.init)
            if path.first == chart { path.removeFirst() }
            return path.isEmpty ? nil : path
        }
        return nil
    }
}
