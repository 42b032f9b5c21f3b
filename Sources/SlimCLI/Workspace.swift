import Engine
import Foundation
import Local
import Plan
import Strategy
import Tools
import Values
import YAML

/// Where slimctl finds its strategies and runtime, and where it keeps state. All file reading
/// for the pure core happens here, at the edge.
struct Workspace {
    var home: String
    var strategyDirs: [String]
    var stateRoot: String

    /// Folders named with `--strategies` or in `SLIMCTL_STRATEGIES` must exist: a typo there
    /// would otherwise quietly run the built-in strategy of the same name.
    static func discover(extraStrategyDirs: [String], stateDir: String?) throws -> Workspace {
        let env = ProcessInfo.processInfo.environment
        let home = homeFolder() ?? FileManager.default.currentDirectoryPath
        var dirs = ["\(home)/strategies"]
        if let e = env["SLIMCTL_STRATEGIES"] {
            for d in e.split(separator: ":").map(String.init) {
                try checkStrategyFolder(d, origin: "SLIMCTL_STRATEGIES")
                dirs.append(absolute(d))
            }
        }
        for d in extraStrategyDirs {
            try checkStrategyFolder(d, origin: "--strategies")
            // Absolute, so every message names the file wherever the command ran.
            dirs.append(absolute(d))
        }
        let state = StateRoot.resolve(flag: stateDir, environment: env)
        return Workspace(home: home, strategyDirs: dirs, stateRoot: absolute(state))
    }

    static func checkStrategyFolder(_ dir: String, origin: String) throws {
        switch FileSystem.kind(dir) {
        case .directory: return
        case .missing: throw CLIError.config("\(origin) \(dir): the folder does not exist")
        default: throw CLIError.config("\(origin) \(dir): not a folder (strategy files are read from a folder of .yaml files)")
        }
    }

    /// slimctl's home, the folder holding `strategies/`, `values/` and `runtime/`: `SLIMCTL_HOME`,
    /// else the checkout the binary was built in, else `<dir of executable>/../share/slimctl`
    /// (where `make install` and `make dist` put them).
    static func homeFolder() -> String? {
        ProcessInfo.processInfo.environment["SLIMCTL_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? findHome()
    }

    /// The checkout above the executable (a folder with `strategies/daemonset.yaml`), else the
    /// install prefix's `share/slimctl` beside its `bin/`.
    static func findHome() -> String? {
        let exeDir = (((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]) as NSString)
            .deletingLastPathComponent
        var dir = exeDir
        for _ in 0..<8 {
            if FileManager.default.fileExists(atPath: "\(dir)/strategies/daemonset.yaml") { return dir }
            let up = (dir as NSString).deletingLastPathComponent
            if up == dir { break }
            dir = up
        }
        let share = ((exeDir as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/slimctl")
        return FileManager.default.fileExists(atPath: "\(share)/strategies") ? share : nil
    }

    /// Set for commands that only look (status, verify): they add generated secrets only to a
    /// secrets folder a deploy already made, so looking before deploying creates nothing.
    nonisolated(unsafe) static var readOnlyCommand = false

    /// `p` against the current folder, with `.` and `..` taken out, so messages name the file
    /// as `/work/my/strategy.yaml`, not `/work/./my/../my/strategy.yaml`.
    static func absolute(_ p: String) -> String {
        let full = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }

    /// name → file; later folders win, so a user's strategy can replace a built-in one.
    func catalog() -> [(name: String, file: String)] {
        var byName: [String: String] = [:]
        var order: [String] = []
        for dir in strategyDirs {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for e in entries.sorted() where e.hasSuffix(".yaml") || e.hasSuffix(".yml") {
                let name = String(e.prefix(upTo: e.lastIndex(of: ".") ?? e.endIndex))
                if byName[name] == nil { order.append(name) }
                byName[name] = "\(dir)/\(e)"
            }
        }
        return order.map { ($0, byName[$0] ?? "") }
    }

    func strategyFile(_ nameOrPath: String) throws -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") {
            let p = Self.absolute(nameOrPath)
            switch FileSystem.kind(p) {
            case .regular: return p
            case .missing: throw CLIError.config("strategy file \(nameOrPath) does not exist")
            case .directory:
                throw CLIError.config("strategy file \(nameOrPath) is a directory, not a file (give the .yaml file, or the folder with --strategies)")
            case .other: throw CLIError.config("strategy file \(nameOrPath) is not a regular file")
            }
        }
        let all = catalog()
        guard let f = all.first(where: { $0.name == nameOrPath }) else {
            throw CLIError.config(
                "no strategy named `\(nameOrPath)` in \(strategyDirs.joined(separator: ", ")); "
                    + Suggest.didYouMean(nameOrPath, in: all.map(\.name)))
        }
        return f.file
    }

    /// A file the user named or a strategy lists: a regular file of UTF-8 text. Directories,
    /// devices and FIFOs are refused before opening (a FIFO would block, /dev/zero never end).
    func read(_ path: String, what: String = "file") throws -> String {
        do { return try FileSystem.readText(path, what: what) } catch let e as FileProblem {
            throw CLIError.config(e.description)
        } catch let e as UTF8Text.Invalid {
            throw CLIError.config(e.description)
        }
    }

    /// `--set-file` paths: Values names the argument and the path, so only the cause is said here.
    static func readSetFile(_ path: String) throws -> String {
        do { return try FileSystem.readText(absolute(path)) } catch let e as FileProblem {
            throw CLIError.config(e.cause)
        } catch let e as UTF8Text.Invalid {
            throw CLIError.config("not UTF-8 at \(e.line):\(e.column)")
        }
    }

    /// The state folder must be a folder; for commands that write there (`writable`: deploy,
    /// ci, test, render --out, cluster up) it must also be one slimctl can create and write to,
    /// checked with a probe before anything runs, so a wrong `--state-dir` is one clear message
    /// rather than a failure halfway through. Read-only commands (status, verify) still work
    /// on a read-only state folder.
    func checkStateRoot(writable: Bool) throws {
        do {
            if FileSystem.kind(stateRoot) == .regular || FileSystem.kind(stateRoot) == .other {
                throw FileProblem("", "state folder \(stateRoot)", cause: "is not a directory")
            }
            if writable { try FileSystem.checkWritable("\(stateRoot)/.write-check") }
        } catch let e as FileProblem {
            throw CLIError.config("\(e) (choose another with --state-dir or SLIMCTL_STATE_DIR)")
        }
    }

    var secretsDir: String { "\(stateRoot)/secrets" }

    func rememberedGeneration(_ strategy: String) -> String? {
        (try? String(contentsOfFile: "\(stateRoot)/generations/\(strategy)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func rememberGeneration(_ name: String, strategy: String) throws {
        guard rememberedGeneration(strategy) != name else { return }
        try AtomicFile.write(name + "\n", to: "\(stateRoot)/generations/\(strategy)", mode: 0o600)
    }

    /// Generated secret values are kept per strategy (0600) so every re-run uses the same ones.
    func rememberedSecrets(_ strategy: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: "\(secretsDir)/\(strategy).json"),
            let m = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return m
    }

    func remember(_ generated: [String: String], strategy: String) throws {
        guard !generated.isEmpty else { return }
        var all = rememberedSecrets(strategy)
        for (k, v) in generated { all[k] = v }
        try AtomicFile.write(try JSONEncoder().encode(all), to: "\(secretsDir)/\(strategy).json", mode: 0o600)
    }

    static func randomSecret(_ n: Int) -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }

    /// Strategy + variables + values, rendered. `persistSecrets` is false for read-only commands
    /// (render to stdout, plan), which then show generated secrets only as placeholders.
    /// `userArgs`: `-f` (kind nil) and `--set*` arguments as typed, each optionally prefixed
    /// `RELEASE:` to address a release other than the strategy's primary (SLIM) one.
    func load(
        _ nameOrPath: String, vars: [String: String], userArgs: [(SetKind?, String)],
        generation: String? = nil, persistSecrets: Bool
    ) throws -> Rendered {
        let file = try strategyFile(nameOrPath)
        let persistSecrets = persistSecrets && !(Self.readOnlyCommand && FileSystem.kind(secretsDir) != .directory)
        if persistSecrets { try checkStateRoot(writable: false) }
        let text = try read(file, what: "strategy file")
        let (declared, generations) = try StrategyLoader.declarations(text: text, file: file)
        let name = (try? YAML.parseDocument(text, file: file))?.scalarField("name") ?? nameOrPath
        if vars["generation"] != nil && !generations.isEmpty {
            throw CLIError.config("choose the chart generation with --generation, not --var generation=…")
        }
        var presets: [String: String] = [:]
        // The generation of the last deploy holds until another is asked for, so `verify`, `test`
        // and `delete` after `deploy --generation 1.4` look at what was deployed.
        let remembered =
            generation == nil ? rememberedGeneration(name).flatMap { r in generations.contains { $0.name == r && $0.unsupported == nil } ? r : nil } : nil
        if let g = try GenerationChoice.choose(generations, requested: generation ?? remembered, strategy: name) {
            presets = GenerationChoice.presets(g)
            if let remembered, remembered != (try? GenerationChoice.choose(generations, requested: nil, strategy: name))??.name {
                FileHandle.standardError.write(
                    Data("using chart generation \(remembered) of the last deploy of \(name) (--generation to choose another)\n".utf8))
            }
            if persistSecrets, generation != nil { try rememberGeneration(g.name, strategy: name) }
        }
        let resolved = try VariableResolver.resolve(
            declared, overrides: vars, remembered: rememberedSecrets(name),
            presets: presets, generate: Self.randomSecret)
        if persistSecrets { try remember(resolved.generated, strategy: name) }
        let strategy = try StrategyLoader.load(text: text, file: file, values: resolved.values)
        let referenced = StrategyFiles.collect(strategy, home: home)
        if !referenced.problems.isEmpty { throw CLIError.config(referenced.problems.joined(separator: "\n")) }
        let files = referenced.files
        var user = UserLayers()
        let primary = strategy.primaryRelease?.release ?? ""
        let releases = strategy.helmReleases.map(\.release.release)
        for (kind, raw) in userArgs {
            let flag = kind?.flag ?? "-f"
            let (prefix, body): (String?, String)
            do { (prefix, body) = try ReleasePrefix.split(raw, flag: flag, releases: releases, strategy: strategy.name) } catch let e as ReleasePrefix.Unknown {
                throw CLIError.config(e.description)
            }
            let release = prefix ?? primary
            if let kind {
                user.byRelease[release, default: []].append(.set(kind, body))
            } else {
                user.byRelease[release, default: []].append(.file(body, text: try read(Self.absolute(body), what: "-f values file")))
            }
        }
        return try Renderer.render(strategy: strategy, variables: resolved, files: files, user: user, readFile: Self.readSetFile)
    }
}

extension Node {
    func scalarField(_ key: String) -> String? {
        guard case .mapping(let pairs) = kind else { return nil }
        for p in pairs {
            if case .scalar(let k, _, _) = p.key.kind, k == key, case .scalar(let v, _, _) = p.value.kind { return v }
        }
        return nil
    }
}
