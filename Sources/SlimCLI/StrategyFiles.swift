import Foundation
import Plan
import Strategy
import Tools

/// The values files and manifests a strategy names, read at the edge. A reference that does not
/// resolve is reported with its file:line:column and, when it is a built-in strategy's path
/// that stopped resolving because the strategy was copied elsewhere, the exact commands that
/// fix it (the built-ins reach `../values/` and `manifests/` relative to their own folder).
struct StrategyFiles {
    var files: [String: String] = [:]
    var problems: [String] = []

    /// Reads every referenced file (`read: false`: only checks that each is a readable file,
    /// for `strategies`, which lists without rendering).
    static func collect(_ strategy: Strategy, home: String, read: Bool = true) -> StrategyFiles {
        var out = StrategyFiles()
        var fixes: [String] = []
        for step in strategy.steps {
            let refs: [PathRef]
            let what: String
            switch step.action {
            case .helm(let h): refs = h.valuesFiles; what = "values file"
            case .manifests(let m): refs = m.files; what = "manifest"
            default: refs = []; what = ""  // the cluster step reads no files
            }
            for r in refs {
                do {
                    let text = try FileSystem.readText(r.resolved, what: what)
                    if read { out.files[r.resolved] = text }
                } catch let e as FileProblem {
                    out.problems.append("\(r.mark): `\(r.path)`: \(e.cause) (looked for \(r.resolved))")
                    if let fix = builtInFix(r, home: home) { fixes.append(fix) }
                } catch let e as UTF8Text.Invalid {
                    out.problems.append("\(r.mark): `\(r.path)`: \(e)")
                } catch {
                    out.problems.append("\(r.mark): `\(r.path)`: \(error)")
                }
            }
        }
        if !fixes.isEmpty {
            out.problems.append(
                "this looks like a copy of a built-in strategy; its files are relative to the strategy's folder. "
                    + "Copy them beside it:\n  " + fixes.joined(separator: "\n  ")
                    + "\n(or write absolute paths; see Docs/strategy-authoring.md)")
        }
        return out
    }

    /// `mkdir -p … && cp …` when the built-in strategies folder holds the file at the same
    /// relative path; nil for absolute paths and files no built-in has.
    static func builtInFix(_ r: PathRef, home: String) -> String? {
        guard !r.path.hasPrefix("/") else { return nil }
        let builtIn = URL(fileURLWithPath: "\(home)/strategies/\(r.path)").standardizedFileURL.path
        guard builtIn != r.resolved, FileSystem.kind(builtIn) == .regular else { return nil }
        let dir = (r.resolved as NSString).deletingLastPathComponent
        return "mkdir -p \(ShellQuote.quote(dir)) && cp \(ShellQuote.quote(builtIn)) \(ShellQuote.quote(r.resolved))"
    }
}
