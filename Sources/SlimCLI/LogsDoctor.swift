import ArgumentParser
import Checks
import Foundation
import Local
import Strategy
import Tools
import YAML

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs",
        abstract: "Logs of many pods at once, each line prefixed with an aligned pod/container (and node with --node).")

    @Argument(help: "Strategy name or path.") var strategy: String = "daemonset"
    @Argument(help: "slim, receiver, sender, or a pod name; all when omitted.") var selector: String?
    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep following (Ctrl-C to stop).") var follow = false
    @Option(name: .customLong("tail"), help: "Lines per pod from the end (-1: all).") var tail: Int = -1
    @Flag(name: .customLong("node"), help: "Prefix the node too.") var showNode = false
    @OptionGroup var options: StrategyOptions
    @OptionGroup var target: TargetFlags
    @OptionGroup var out: OutputFlags

    func run() async throws {
        let s = try LocalSession(strategy: strategy, options: options, target: target)
        let state = LocalState.load(s.target.statePath) ?? LocalState(strategy: s.rendered.strategy.name)
        let procs = state.processes.filter { p in
            guard let sel = selector else { return true }
            return p.component == sel || p.name == sel || p.workload.hasSuffix("/\(sel)")
        }
        if procs.isEmpty {
            let known = state.processes.map(\.name) + ["slim", "receiver", "sender"]
            throw CLIError.config(state.processes.isEmpty ? "nothing is running for \(s.rendered.strategy.name); run `slimctl deploy \(s.rendered.strategy.name)`"
                                                          : "no pod matches `\(selector ?? "")`; " + Suggest.didYouMean(selector ?? "", in: known))
        }
        let color = out.color
        let prefixes = procs.map { p in (showNode ? "\(p.node)/" : "") + "\(p.name)/\(p.component)" }
        let width = prefixes.map(\.count).max() ?? 0
        let palette = ["\u{1B}[36m", "\u{1B}[33m", "\u{1B}[35m", "\u{1B}[32m", "\u{1B}[34m", "\u{1B}[31m"]
        var offsets = [UInt64](repeating: 0, count: procs.count)
        let redactor = s.rendered.redactor
        func emit(_ i: Int, _ line: String) {
            let clean = redactor.redact(color ? line : Supervisor.stripANSI(line))
            if out.output == .json {
                print(Value.map(["pod": .string(procs[i].name), "container": .string(procs[i].component), "node": .string(procs[i].node),
                                 "line": .string(Supervisor.stripANSI(redactor.redact(line)))]).jsonString())
            } else {
                let prefix = prefixes[i].padding(toLength: width, withPad: " ", startingAt: 0)
                print((color ? palette[i % palette.count] + prefix + "\u{1B}[0m" : prefix) + " " + clean)
            }
        }
        for (i, p) in procs.enumerated() {
            guard let data = FileManager.default.contents(atPath: p.logPath) else { continue }
            offsets[i] = UInt64(data.count)
            var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            for l in tail >= 0 ? Array(lines.suffix(tail)) : lines { emit(i, l) }
        }
        guard follow else { return }
        var partial = [String](repeating: "", count: procs.count)
        var gone = Set<Int>()
        while !Task.isCancelled {
            for (i, p) in procs.enumerated() {
                if let h = FileHandle(forReadingAtPath: p.logPath) {
                    try? h.seek(toOffset: offsets[i])
                    let d = h.readDataToEndOfFile()
                    try? h.close()
                    if !d.isEmpty {
                        offsets[i] += UInt64(d.count)
                        let text = partial[i] + String(decoding: d, as: UTF8.self)
                        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                        partial[i] = parts.removeLast()
                        for l in parts { emit(i, l) }
                    }
                }
                if !gone.contains(i) && !Spawn.isAlive(p.pid) {
                    gone.insert(i)
                    stderr("[\(p.name) on \(p.node) exited]")
                }
            }
            fflush(nil)
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doctor",
        abstract: "Check the tools each target needs and say exactly how to install what is missing.")

    @OptionGroup var out: OutputFlags

    func run() async throws {
        var rows: [(String, Bool, String, String)] = []  // name, ok, detail, fix
        func check(_ name: String, _ argv: [String], fix: String, needed: String) async {
            guard Spawn.which(argv[0]) != nil else { rows.append((name, false, "not found (\(needed))", fix)); return }
            let r = try? await Spawn.capture(argv, timeout: .seconds(10))
            let first = r?.output.split(separator: "\n").first.map(String.init) ?? ""
            rows.append((name, r?.status == 0, first, r?.status == 0 ? "" : fix))
        }
        await check("python3", ["python3", "--version"], fix: "apt-get install python3 python3-venv", needed: "local target")
        await check("python3-venv", ["python3", "-c", "import venv, ensurepip"], fix: "apt-get install python3-venv", needed: "local target")
        await check("helm", ["helm", "version", "--short"], fix: "install helm 3.8+ (https://helm.sh/docs/intro/install/) or run `make tools` in a checkout", needed: "kind and cluster targets")
        await check("kind", ["kind", "version"], fix: "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)", needed: "kind target")
        await check("docker", ["docker", "info", "--format", "{{.ServerVersion}}"], fix: "install and start Docker (or podman) for the kind target", needed: "kind target")
        rows.append(await kubeconfigDoctorRow())
        let runtime = LocalRuntime(cacheDir: LocalRuntime.defaultCacheDir(), nodeScript: "")
        switch runtime.health() {
        case .ready: rows.append(("slim-bindings", true, "\(LocalRuntime.version) in \(runtime.venv)", ""))
        case .missing: rows.append(("slim-bindings", true, "not installed yet: installed on first local deploy into \(runtime.venv)", ""))
        case .broken(let why): rows.append(("slim-bindings", false, why, "rm -rf \(runtime.venv); the next local deploy reinstalls it"))
        }
        if out.output == .json {
            printJSON(.list(rows.map { .map(["check": .string($0.0), "ok": .bool($0.1), "detail": .string($0.2), "fix": .string($0.3)]) }))
        } else {
            for r in rows {
                print("\(r.1 ? "ok  " : "MISS") \(r.0.padding(toLength: 14, withPad: " ", startingAt: 0)) \(r.2)")
                if !r.3.isEmpty { print("     fix: \(r.3)") }
            }
        }
        let localOK = rows.filter { ["python3", "python3-venv", "slim-bindings"].contains($0.0) }.allSatisfy(\.1)
        if !localOK { throw CLIError.silent(.environment) }
    }
}
