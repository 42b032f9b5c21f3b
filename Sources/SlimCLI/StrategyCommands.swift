import ArgumentParser
import Engine
import Foundation
import KubeTarget
import Local
import OrderedCollections
import Plan
import Strategy
import Tools
import YAML

/// A command's structured answer, as `-o json` or `-o yaml` asked (see `Output`).
func printJSON(_ v: Value) { print(Output.document(v)) }

/// A line on stderr, through the console (so it never lands on a live progress line), with a
/// leading `warning:` in colour where stderr takes colour.
func stderr(_ s: String) { Console.shared.line(Style.err.warnings(s), to: .err) }

struct StrategiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "strategies", abstract: "List the strategies slimctl can run, with their steps.")

    @OptionGroup var options: StrategyOptions
    @OptionGroup var out: OutputFlags

    func run() async throws {
        let ws = try options.workspace
        var rows: [Value] = []
        var problems: [String] = []
        for (name, file) in ws.catalog() {
            do {
                let text = try ws.read(file)
                // Listed as the strategy's default chart generation renders it (its variables preset).
                let (declared, generations) = try StrategyLoader.declarations(text: text, file: file)
                let presets = GenerationChoice.presets(try GenerationChoice.choose(generations, requested: nil, strategy: name))
                let resolved = try VariableResolver.resolve(declared, overrides: [:], remembered: [:], presets: presets, generate: { _ in "<generated>" })
                let s = try StrategyLoader.load(text: text, file: file, values: resolved.values)
                // Listed means runnable: every values file and manifest it names is there.
                let referenced = StrategyFiles.collect(s, home: ws.home, read: false)
                if !referenced.problems.isEmpty { throw CLIError.config(referenced.problems.joined(separator: "\n")) }
                rows.append(
                    .map([
                        "name": .string(name), "description": .string(s.description), "file": .string(file),
                        "steps": .list(StepOrder.ordered(s.steps).map { .string($0.name) })
                    ]))
            } catch {
                problems.append("\(error)")
                rows.append(.map(["name": .string(name), "file": .string(file), "error": .string("\(error)")]))
            }
        }
        if out.output.structured { printJSON(.list(rows)); return }
        if rows.isEmpty { print("no strategies found in \(ws.strategyDirs.joined(separator: ", "))"); return }
        let w = max(4, rows.map { $0["name"]?.stringValue?.count ?? 0 }.max() ?? 4)
        print("NAME".padding(toLength: w + 2, withPad: " ", startingAt: 0) + "DESCRIPTION / STEPS")
        for r in rows {
            let name = r["name"]?.stringValue ?? ""
            if let e = r["error"]?.stringValue {
                let lines = e.split(separator: "\n").map(String.init)
                print(name.padding(toLength: w + 2, withPad: " ", startingAt: 0) + "INVALID: " + (lines.first ?? "unreadable"))
                if lines.count > 1 { print(String(repeating: " ", count: w + 2) + "(\(lines.count - 1) more line(s): `slimctl plan \(name)` shows them all)") }
                continue
            }
            print(name.padding(toLength: w + 2, withPad: " ", startingAt: 0) + (r["description"]?.stringValue ?? ""))
            print(String(repeating: " ", count: w + 2) + "steps: " + (r["steps"]?.listValue ?? []).compactMap(\.stringValue).joined(separator: " → "))
        }
        if !problems.isEmpty { throw CLIError.silent(.config) }
    }
}

struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Write the values files exactly as Helm will get them (one per release) and the kind cluster config.",
        discussion:
            "Layers, in order: the strategy's values files, its `set` entries, your -f files, then --set-json, --set, --set-string, --set-file, --set-literal (Helm's order). Files are written atomically; with no --out, values are printed."
    )

    @Argument(help: "Strategy name or path to a strategy file.", completion: Completions.strategies) var strategy: String
    @Option(name: .customLong("out"), help: ArgumentHelp("Folder to write into.", valueName: "dir"), completion: .directory) var outDir: String?
    @OptionGroup var options: StrategyOptions
    @OptionGroup var out: OutputFlags

    func run() async throws {
        if outDir != nil { try options.checkWritableState() }
        let rendered = try options.render(strategy, persistSecrets: outDir != nil)
        guard let outDir else {
            let redactor = rendered.redactor
            // Printed values are masked twice over: secret variables by value, secret-named keys by key.
            if out.output.structured {
                printJSON(
                    .map(OrderedDictionary(uniqueKeysWithValues: rendered.releases.map { ($0.release, SecretValues.masked($0.values)) })).redacted(redactor))
            } else {
                for r in rendered.releases {
                    let text = SecretValues.find(in: r.values).isEmpty ? r.text : YAML.emit(SecretValues.masked(r.values))
                    print("---\n# \(r.fileName)\n" + redactor.redact(text))
                }
            }
            return
        }
        let written = try RenderWriter.write(rendered, to: Workspace.absolute(outDir))
        if out.output.structured {
            printJSON(.list(written.map { .map(["file": .string($0.path), "mode": .string(String($0.mode, radix: 8)), "secret": .bool($0.secret)]) }))
        } else {
            for w in written { print("wrote \(w.path)" + (w.secret ? " (holds a secret)" : "")) }
        }
    }
}

enum RenderWriter {
    /// Everything is rendered in memory first; then each file is written to a temp name and
    /// renamed, so a failure never leaves a half-written set behind.
    /// Every file 0600 in a 0700 folder: values files may hold secrets (and the rest sits beside them).
    static func write(_ r: Rendered, to dir: String) throws -> [(path: String, mode: Int, secret: Bool)] {
        try FileSystem.makeDirectory(dir, mode: 0o700)
        var files: [(String, String, Bool)] = r.releases.map { ("\(dir)/\($0.fileName)", $0.text, $0.holdsSecret) }
        files.append(("\(dir)/kind-config.yaml", r.kindConfig, false))
        for (path, text, _) in files { try AtomicFile.write(text, to: path, mode: 0o600) }
        return files.map { ($0.0, 0o600, $0.2) }
    }
}

extension Value {
    func redacted(_ r: Redactor) -> Value {
        switch self {
        case .string(let s): return .string(r.redact(s))
        case .list(let l): return .list(l.map { $0.redacted(r) })
        case .map(let m): return .map(m.mapValues { $0.redacted(r) })
        default: return self
        }
    }
}

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show every step in order with the exact command or API call it will make. Nothing runs; secrets are masked.")

    @Argument(help: "Strategy name or path to a strategy file.", completion: Completions.strategies) var strategy: String
    @OptionGroup var sources: ChartSourceOptions
    @OptionGroup var images: LoadImageOptions
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        let (plan, preview, redactor, appSteps) = try await Targets.planView(
            strategy: strategy, options: options, flags: target, sources: sources, images: images.images)
        if out.output.structured {
            printJSON(
                .map([
                    "strategy": .string(plan.strategy), "target": .string(plan.target.rawValue),
                    "preflight": .list(plan.preflight.map { .string(redactor.redact($0.text)) }),
                    "steps": .list(
                        plan.steps.map { s in
                            .map([
                                "name": .string(s.name), "kind": .string(s.kind), "description": .string(s.description),
                                "needs": .list(s.needs.map { .string($0) }), "runBy": .string(appSteps.contains(s.name) ? "test" : "deploy"),
                                "actions": .list(s.actions.map { .string(redactor.redact($0.text)) })
                            ])
                        }), "placement": preview.map { $0.json.redacted(redactor) } ?? .null
                ]))
            return
        }
        print("plan: strategy \(plan.strategy), target \(plan.target.rawValue)")
        if !plan.preflight.isEmpty {
            print("\nbefore the first step: every chart read and rendered with its values (nothing is installed if one cannot work)")
            for a in plan.preflight { print("   - " + redactor.redact(a.text)) }
        }
        for (i, s) in plan.steps.enumerated() {
            let needs = s.needs.isEmpty ? "" : "  (after \(s.needs.joined(separator: ", ")))"
            print("\n\(i + 1). \(s.name) [\(s.kind)]\(needs)" + (appSteps.contains(s.name) ? "  — run by `slimctl test`" : ""))
            if !s.description.isEmpty { print("   \(s.description)") }
            for a in s.actions { print("   - " + redactor.redact(a.text)) }
        }
        if let preview {
            print("")
            for l in preview.lines { print(redactor.redact(l)) }
        }
    }
}

/// The test apps' steps: `deploy` leaves them to `slimctl test`, which deploys, counts and removes them.
func appStepNames(_ r: Rendered) -> Set<String> {
    guard let t = r.strategy.test else { return [] }
    return [t.receiverStep, t.senderStep]
}
