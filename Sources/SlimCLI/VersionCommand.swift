import ArgumentParser
import Foundation
import OrderedCollections
import Tools
import YAML

/// `slimctl version` (also `slimctl --version`): this build, where its strategies come from,
/// and the helm and kubectl the Kubernetes targets would run.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Show slimctl's version and build, its home folder, and the helm and kubectl found on PATH.")

    @OptionGroup var out: OutputFlags

    func run() async throws {
        let home = Workspace.homeFolder()
        let commit = await VersionInfo.commit(home: home)
        async let helm = VersionInfo.tool("helm", ["helm", "version", "--short"]) { $0.split(separator: "\n").first.map(String.init) }
        async let kubectl = VersionInfo.tool("kubectl", ["kubectl", "version", "--client", "-o", "json"], VersionInfo.kubectlVersion)
        let tools = await [helm, kubectl]
        if out.output.structured {
            var m: OrderedDictionary<String, Value> = [
                "version": .string(Slimctl.version), "commit": commit.map(Value.string) ?? .null,
                "swift": .string(VersionInfo.swift), "home": home.map(Value.string) ?? .null
            ]
            for t in tools {
                m[t.name] = t.path.map { p in .map(["path": .string(p), "version": t.version.map(Value.string) ?? .null]) } ?? .null
            }
            printJSON(.map(m))
            return
        }
        print("slimctl \(Slimctl.version)" + (commit.map { " (commit \($0))" } ?? ""))
        print("swift    \(VersionInfo.swift)")
        print("home     \(home ?? "not found (set SLIMCTL_HOME)")")
        for t in tools {
            let name = t.name.padding(toLength: 8, withPad: " ", startingAt: 0)
            guard let path = t.path else { print("\(name) not found on PATH"); continue }
            print("\(name) \(t.version ?? "version unknown") (\(path))")
        }
    }
}

enum VersionInfo {
    /// The Swift the binary was built with, to the minor version.
    static var swift: String {
        #if compiler(>=6.5)
        "6.5 or later"
        #elseif compiler(>=6.4)
        "6.4"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }

    /// The commit `make install`/`make dist` wrote beside the strategies (`SLIMCTL_COMMIT`), or
    /// a checkout's HEAD when running from one.
    static func commit(home: String?) async -> String? {
        guard let home else { return nil }
        if let c = try? String(contentsOfFile: "\(home)/COMMIT", encoding: .utf8) {
            let t = c.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        guard FileManager.default.fileExists(atPath: "\(home)/.git"), Spawn.which("git") != nil,
            let r = try? await Spawn.capture(["git", "-C", home, "rev-parse", "--short", "HEAD"], timeout: .seconds(3)), r.status == 0
        else { return nil }
        let t = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty || t.contains(" ") ? nil : t
    }

    struct Tool: Sendable { var name: String; var path: String?; var version: String? }

    /// A tool on PATH and its version, asked with a short timeout (a hung tool is "version unknown").
    static func tool(_ name: String, _ argv: [String], _ parse: @Sendable (String) -> String?) async -> Tool {
        guard let path = Spawn.which(name) else { return Tool(name: name, path: nil, version: nil) }
        guard let r = try? await Spawn.capture(argv, timeout: .seconds(5)), r.status == 0 else { return Tool(name: name, path: path, version: nil) }
        return Tool(name: name, path: path, version: parse(r.output))
    }

    /// `clientVersion.gitVersion` of `kubectl version --client -o json`.
    @Sendable static func kubectlVersion(_ output: String) -> String? {
        guard let start = output.firstIndex(of: "{"),
            let obj = try? JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any],
            let client = obj["clientVersion"] as? [String: Any]
        else { return nil }
        return client["gitVersion"] as? String
    }
}
