import Foundation

/// One row of the results: slimctl's figure and, measured in the same run, the peer's.
struct Figure: Codable {
    var id: String
    var title: String
    /// "s" (lower is better), "lines/s" (higher is better), "bytes".
    var unit: String
    var slimctl: Stats
    var peer: Stats?
    var peerCommand: String?
    /// How many times better slimctl is than the peer (>1: better), by the median.
    var ratio: Double?
    var goal: String
    var goalMet: Bool
    var notes: [String]

    init(
        id: String, title: String, unit: String, slimctl: [Double], peer: [Double]?, peerCommand: String?,
        goal: String, goalMet: (Stats) -> Bool, notes: [String] = []
    ) {
        self.id = id
        self.title = title
        self.unit = unit
        self.slimctl = Stats(slimctl)
        self.peer = peer.map(Stats.init)
        self.peerCommand = peerCommand
        if let p = self.peer, p.median > 0, self.slimctl.median > 0 {
            ratio = unit == "lines/s" ? self.slimctl.median / p.median : p.median / self.slimctl.median
        }
        self.goal = goal
        self.goalMet = goalMet(self.slimctl)
        self.notes = notes
    }
}

struct Results: Codable {
    var schema = "slimctl.bench/v1"
    var date: String
    var machine: String
    var figures: [Figure]
}

enum Table {
    static func format(_ v: Double, _ unit: String) -> String {
        if v.isNaN { return "-" }
        switch unit {
        case "s": return v < 1 ? String(format: "%.1f ms", v * 1000) : String(format: "%.2f s", v)
        case "bytes": return String(format: "%.0f MB", v / 1e6)
        case "lines/s": return String(format: "%.0f/s", v)
        default: return String(format: "%.3g %@", v, unit)
        }
    }

    static func print(_ figures: [Figure]) {
        let header = ["benchmark", "slimctl p50", "p99", "peer p50", "p99", "ratio", "goal", "met"]
        let rows = figures.map { f -> [String] in
            [
                f.title, format(f.slimctl.median, f.unit), format(f.slimctl.p99, f.unit),
                f.peer.map { format($0.median, f.unit) } ?? "n/a", f.peer.map { format($0.p99, f.unit) } ?? "",
                f.ratio.map { String(format: "%.1fx", $0) } ?? "", f.goal, f.goalMet ? "yes" : "NO"
            ]
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        Swift.print(line(header))
        for r in rows { Swift.print(line(r)) }
        for f in figures {
            if let p = f.peerCommand { Swift.print("  \(f.id): peer = \(p)") }
            for n in f.notes { Swift.print("  \(f.id): \(n)") }
        }
    }
}
