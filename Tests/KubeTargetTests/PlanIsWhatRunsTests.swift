import Foundation
import KubeSim
import Plan
import Testing
import Tools
import YAML

/// What `plan` shows is what `deploy` runs: every helm command of the plan (the chart preflight's
/// and the steps'), in order and argument for argument, is a command the deploy started (the
/// real helm, behind a wrapper that records each argv before running it), and the deploy
/// started no other helm command but the read of installed releases.
@Suite struct PlanIsWhatRuns {
    @Test func deployRunsTheHelmCommandsThePlanShows() async throws {
        try await withKindShapedCluster { _, kubeconfig in
            let state = tempDir(), bin = tempDir()
            let record = "\(bin)/helm-argv"
            // Each call as one line: the arguments separated by the unit separator.
            try """
            #!/bin/sh
            { printf 'helm'; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; } >> \(record)
            exec \(try helmBinary()) "$@"
            """.write(toFile: "\(bin)/helm", atomically: true, encoding: .utf8)
            chmod("\(bin)/helm", 0o755)
            let path = try toolsPath(extra: [bin])
            let charts = try realChartArgs()

            let (pcode, planText) = try await slimctl(
                ["plan", "daemonset", "--target", "cluster", "-o", "json"] + charts,
                state: state, kubeconfig: kubeconfig, path: path)
            #expect(pcode == 0, "\(planText)")
            let plan = try Value(json: String(planText[(planText.range(of: "{")?.lowerBound ?? planText.startIndex)...]))
            let actions =
                (plan["preflight"]?.listValue ?? []).compactMap(\.stringValue)
                + (plan["steps"]?.listValue ?? []).flatMap { ($0["actions"]?.listValue ?? []).compactMap(\.stringValue) }
            let planned = actions.filter { $0.hasPrefix("run: helm ") }.map { String($0.dropFirst(5)) }
            #expect(planned.count == 8, "preflight: show chart and template of both charts; steps: template and upgrade of each: \(planned)")

            try? FileManager.default.removeItem(atPath: record)
            let (code, out) = try await slimctl(["deploy", "daemonset", "--target", "cluster"] + charts, state: state, kubeconfig: kubeconfig, path: path)
            #expect(code == 0, "\(out)")
            let calls = ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n").map { line in
                line.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            }
            // Every helm call but the reads around the steps (`helm list` of known releases);
            // `helm template` runs with an `--output-dir` of its own added, as documented.
            let ran = calls.filter { $0.count > 1 && $0[1] != "list" }.map { argv -> String in
                var a = argv
                if a[1] == "template", a.count > 2, a[a.count - 2] == "--output-dir" { a.removeLast(2) }
                return a.map(ShellQuote.quote).joined(separator: " ")
            }
            #expect(ran == planned, "ran:\n\(ran.joined(separator: "\n"))\nplanned:\n\(planned.joined(separator: "\n"))")
        }
    }
}
