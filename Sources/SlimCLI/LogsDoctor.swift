import ArgumentParser
import Checks
import Foundation
import Local
import Strategy
import Tools
import YAML

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
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
        await check(
            "helm", ["helm", "version", "--short"], fix: "install helm 3.8+ (https://helm.sh/docs/intro/install/) or run `make tools` in a checkout",
            needed: "kind and cluster targets")
        await check("kind", ["kind", "version"], fix: "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)", needed: "kind target")
        await check(
            "docker", ["docker", "info", "--format", "{{.ServerVersion}}"], fix: "install and start Docker (or podman) for the kind target",
            needed: "kind target")
        rows.append(await kubeconfigDoctorRow())
        // One venv per slim-bindings version the local target pairs with a SLIM release.
        for version in BindingsPairing.versions {
            let runtime = LocalRuntime(cacheDir: LocalRuntime.defaultCacheDir(), nodeScript: "", version: version)
            let slim = BindingsPairing.table.filter { $0.bindings == version }.map(\.slimRelease).joined(separator: ", ")
            let name = "slim-bindings \(version)"
            switch runtime.health() {
            case .ready: rows.append((name, true, "in \(runtime.venv) (for SLIM \(slim))", ""))
            case .missing: rows.append((name, true, "not installed yet: a local deploy of SLIM \(slim) installs it into \(runtime.venv)", ""))
            case .broken(let why): rows.append((name, false, why, "rm -rf \(runtime.venv); the next local deploy reinstalls it"))
            }
        }
        if out.output.structured {
            printJSON(.list(rows.map { .map(["check": .string($0.0), "ok": .bool($0.1), "detail": .string($0.2), "fix": .string($0.3)]) }))
        } else {
            for r in rows {
                print("\(r.1 ? Style.out.good("ok") + "  " : Style.out.bad("MISS")) \(r.0.padding(toLength: 20, withPad: " ", startingAt: 0)) \(r.2)")
                if !r.3.isEmpty { print("     fix: \(r.3)") }
            }
        }
        let localOK = rows.filter { ["python3", "python3-venv"].contains($0.0) || $0.0.hasPrefix("slim-bindings") }.allSatisfy(\.1)
        if !localOK { throw CLIError.silent(.environment) }
    }
}
