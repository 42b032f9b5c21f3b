import Engine
import Plan

/// What `test` needs deployed first: every step the app steps depend on (other than the apps
/// themselves). Checked before any app starts: a sender whose Service was never applied would
/// otherwise retry a name that does not resolve until its timeout, and fail with a DNS error.
enum TestPrerequisites {
    /// The missing steps, each with the app step that needs it; empty when the test may run.
    static func missing(plan: Plan, state: RunState?, apps: [String], appSteps: Set<String>) -> [(step: String, neededBy: String)] {
        let steps = Dictionary(plan.steps.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [(String, String)] = []
        var seen = Set<String>()
        for app in apps {
            var queue = steps[app]?.needs ?? []
            while let name = queue.popLast() {
                guard seen.insert(name).inserted, let step = steps[name] else { continue }
                if appSteps.contains(name) { continue }
                if state?.steps[name]?.status != .done { out.append((name, app)) }
                queue += step.needs
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    static func message(_ missing: [(step: String, neededBy: String)], strategy: String) -> String {
        let list = missing.map { "`\($0.step)` (needed by \($0.neededBy))" }.joined(separator: ", ")
        let only = missing.map { "--only \($0.step)" }.joined(separator: " ")
        return "not deployed yet: step(s) \(list); run `slimctl deploy \(strategy)` (or `slimctl deploy \(strategy) \(only)`) first"
    }
}
