import Foundation
import KubeSim
import Local
import TestCharts
import Tools

/// `make e2e`: the real slimctl, helm and charts against the simulated cluster whose kubelet
/// runs real SLIM nodes and the real example apps. Starts the OCI registry with the released
/// charts, the cluster (kind-shaped: a tainted control-plane and two workers), and runs
/// `slimctl ci <strategy> --target cluster` for each strategy named (default: daemonset and
/// statefulset), printing slimctl's own output. Exit 0 only when every run passed with all its
/// messages counted from the receivers' real logs.
@main
struct E2E {
    static let root = RealCharts.root

    static func main() async {
        signal(SIGPIPE, SIG_IGN)  // output piped into `head` must not kill the run before it cleans up
        var strategies = Array(CommandLine.arguments.dropFirst())
        if strategies.isEmpty { strategies = ["daemonset", "statefulset", "restart", "nodes"] }
        do {
            let failed = try await run(strategies)
            exit(failed.isEmpty ? 0 : 1)
        } catch {
            say("\(error)")
            exit(1)
        }
    }

    /// Unbuffered: `make` shows each line as it happens.
    static func emit(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
    static func say(_ s: String) { emit("e2e: \(s)\n") }

    /// The image table: SLIM's image runs the node through the bindings carrying that SLIM
    /// release's data plane; the test-apps image's console scripts come from a venv with that
    /// bindings version; SPIRE and the controller are inert.
    static func images(venvs: [String: String], nodeScript: String) -> SimImageTable {
        var t = SimImageTable()
        for (release, bindings) in SimImageTable.slimBindingsForRelease {
            if let venv = venvs[bindings] { t.exact["ghcr.io/agntcy/slim:\(release)"] = .slimNode(venv: venv, nodeScript: nodeScript) }
        }
        for (version, venv) in venvs { t.exact["slimctl/slim-test-apps:\(version)"] = .pythonApps(venv: venv) }
        t.prefixes = SimImageTable.inertRepositories.map { ($0.0, $0.0.hasSuffix("spire-server") ? .spireServer : .inert($0.1)) }
        return t
    }

    /// Where the simulated cluster cannot do what a real one does, the run is adapted, and says so.
    static let adaptations: [String: (args: [String], why: String)] = [
        "statefulset": (
            ["--var", "replicas=1"],
            "one SLIM replica: the SLIM controller is inert here, and SLIM 1.4 nodes get routes to each other only from it (no peer discovery before 2.x), so sender and receiver must share a node"
        )
    ]

    static func run(_ strategies: [String]) async throws -> [String] {
        let slimctl = ProcessInfo.processInfo.environment["SLIMCTL_BINARY"] ?? "\(root)/.build/debug/slimctl"
        let helm = "\(root)/.tools/bin/helm"
        for tool in [slimctl, helm] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw E2EFailure(description: "\(tool) not found: run `make e2e` (it builds slimctl and fetches helm)")
        }
        var venvs: [String: String] = [:]
        for version in ["2.2.0", "1.4.1"] {
            let rt = LocalRuntime(cacheDir: LocalRuntime.defaultCacheDir(), nodeScript: "\(root)/runtime/slim_node.py", version: version)
            try await rt.ensure { say($0) }
            venvs[version] = rt.venv
        }
        say("starting the OCI registry with the released charts")
        let registry = try await ChartRegistry.start(helm: helm)
        defer { registry.stop() }
        var options = SimOptions()
        // KUBESIM_NET_INDEX picks another pod subnet and bridge (198.18.<n>.0/24, ksbr<n>), so a
        // second run on the same machine does not collide with one already running.
        let netIndex = ProcessInfo.processInfo.environment["KUBESIM_NET_INDEX"].flatMap(Int.init) ?? 0
        let runtime = SimRuntime(images: images(venvs: venvs, nodeScript: "\(root)/runtime/slim_node.py"), network: SimPodNetwork(index: netIndex))
        if let b = ProcessInfo.processInfo.environment["KUBESIM_BACKOFF"].flatMap(Double.init) { runtime.backOffBase = b }
        options.runtime = runtime
        // Ctrl-C or a CI timeout: the pods' processes live in namespaces of their own; end
        // them and remove the namespaces before going.
        let signals = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                say("interrupted: stopping the simulated cluster's pods")
                runtime.network.stopAll()
                registry.stop()
                exit(130)
            }
            s.resume()
            return s
        }
        defer { for s in signals { s.cancel() } }
        var failed: [String] = []
        for strategy in strategies {
            say("starting the simulated cluster (real processes per pod, network namespaces on \(runtime.network.gateway)/24)")
            let server = try await KubeSimServer.start(options: options)
            server.cluster.setNodes([
                .init(
                    name: "slim-cluster-control-plane", labels: ["node-role.kubernetes.io/control-plane": ""],
                    taints: [.init(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule)]),
                .init(name: "slim-cluster-worker"),
                .init(name: "slim-cluster-worker2")
            ])
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slimctl-e2e-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try server.kubeconfig().write(toFile: "\(dir)/kubeconfig", atomically: true, encoding: .utf8)
            chmod("\(dir)/kubeconfig", 0o600)
            var env = ProcessInfo.processInfo.environment
            env["KUBECONFIG"] = "\(dir)/kubeconfig"
            env["SLIMCTL_STATE_DIR"] = "\(dir)/state"
            env["SLIMCTL_HOME"] = root
            env["PATH"] = "\(root)/.tools/bin:" + (env["PATH"] ?? "/usr/bin:/bin")
            env["HOME"] = dir
            if strategy == "restart" || strategy == "nodes" {
                let ok =
                    strategy == "restart"
                    ? try await restartScenario(server: server, slimctl: slimctl, env: env, registry: registry, dir: dir)
                    : try await nodesScenario(server: server, slimctl: slimctl, env: env, registry: registry, dir: dir)
                say("\(strategy): \(ok ? "PASSED" : "FAILED")")
                if ok { try? FileManager.default.removeItem(atPath: dir) } else { failed.append(strategy); say("kept for inspection: \(dir)") }
                await server.shutdown()
                continue
            }
            var argv = [slimctl, "ci", strategy, "--target", "cluster", "--report", "json=\(dir)/report.json"] + registry.slimctlArgs
            if let a = adaptations[strategy] {
                say("\(strategy): \(a.args.joined(separator: " ")): \(a.why)")
                argv += a.args
            }
            say("$ slimctl \(argv.dropFirst().joined(separator: " "))")
            let code = try await Spawn.run(argv, environment: env, log: "\(dir)/ci.log", timeout: .seconds(900))
            let out = (try? String(contentsOfFile: "\(dir)/ci.log", encoding: .utf8)) ?? ""
            emit(out.hasSuffix("\n") ? out : out + "\n")
            // What the simulated kubelet did instead of SPIRE and the controller, and which SLIM
            // node each app reached: the transport is part of the result.
            let events = server.cluster.list("events")
            var said = Set<String>()
            for e in events {
                let reason = e["reason"]?.stringValue ?? ""
                guard reason == "SpireReplaced" else { continue }
                let msg = e["message"]?.stringValue ?? ""
                let generic = msg.replacingOccurrences(of: #"container \S+ "#, with: "container ", options: .regularExpression)
                if said.insert(generic).inserted { say("transport: \(msg)") }
            }
            let inert = Set(
                events.filter { $0["reason"]?.stringValue == "Inert" }.compactMap { e -> String? in
                    guard let m = e["message"]?.stringValue, let r = m.range(of: #"container \S+ \([^)]+\)"#, options: .regularExpression),
                        let open = m[r].firstIndex(of: "(")
                    else { return nil }
                    return String(m[r][m.index(after: open)...].dropLast())
                })
            if !inert.isEmpty { say("inert (no process; Ready by declaration, an Inert event on each pod): \(inert.sorted().joined(separator: ", "))") }
            if said.isEmpty { say("transport: SLIM as the charts configure it (no SPIRE involved)") }
            for r in server.cluster.serviceRoutes where r.hasPrefix("default/") { say("route: \(r)") }
            let verdict = check(report: "\(dir)/report.json", code: code)
            say("\(strategy): \(verdict ?? "PASSED")")
            if verdict != nil { failed.append(strategy); say("kept for inspection: \(dir)") } else { try? FileManager.default.removeItem(atPath: dir) }
            await server.shutdown()
        }
        say(failed.isEmpty ? "all passed: \(strategies.joined(separator: ", "))" : "FAILED: \(failed.joined(separator: ", "))")
        return failed
    }

    /// A SLIM node's process dies: `verify --watch` shows the restart, `verify` reports the
    /// restart count, `slimctl logs --previous` shows the node's lines from before the crash and
    /// `slimctl logs` its lines after, and messages still flow.
    static func restartScenario(server: KubeSimServer, slimctl: String, env: [String: String], registry: ChartRegistry, dir: String) async throws -> Bool {
        let scenario = Scenario(slimctl: slimctl, env: env, dir: dir)
        func slimctlRun(_ args: [String], _ log: String) async throws -> (Int32, String) { try await scenario.run(args, log, echo: true) }
        func expect(_ cond: Bool, _ what: String) { scenario.expect(cond, what) }
        let target = ["--target", "cluster"]
        let (deployed, _) = try await slimctlRun(["deploy", "daemonset"] + target + registry.slimctlArgs, "deploy.log")
        expect(deployed == 0, "deploy daemonset exits 0")
        guard deployed == 0 else { return false }
        let names = server.cluster.list("pods", namespace: "slim").compactMap { $0.lookup(["metadata", "name"])?.stringValue }
        guard let victim = names.first(where: { $0.hasPrefix("slim-") && !$0.hasPrefix("slim-control") }),
            let pid = server.cluster.processID(namespace: "slim", pod: victim)
        else {
            expect(false, "a SLIM pod with a running process")
            return false
        }
        let watchLog = "\(dir)/watch.log"
        let watcher = try Spawn.start([slimctl, "verify", "daemonset", "--watch"] + target, environment: env, output: .file(watchLog))
        try await Task.sleep(for: .seconds(3))
        say("killing the SLIM node process of \(victim) (pid \(pid)) with SIGKILL")
        kill(pid, SIGKILL)
        let restarted = try await scenario.until("\(victim) to restart and be Ready", seconds: 120) {
            let st = server.cluster.get("pods", namespace: "slim", name: victim)?.lookup(["status", "containerStatuses"])?.listValue?.first
            return (st?["restartCount"]?.intValue ?? 0) >= 1 && st?["ready"] == .bool(true)
        }
        expect(restarted, "\(victim) restarted (restartCount 1) and is Ready again")
        try await Task.sleep(for: .seconds(2))
        kill(watcher, SIGINT)
        var st: Int32 = 0
        waitpid(watcher, &st, 0)
        let watched = (try? String(contentsOfFile: watchLog, encoding: .utf8)) ?? ""
        emit(watched)
        expect(watched.contains(victim) && watched.lowercased().contains("restart"), "verify --watch showed \(victim)'s restart")
        let (_, verified) = try await slimctlRun(["verify", "daemonset"] + target, "verify.log")
        let row = verified.split(separator: "\n").first { $0.contains(victim) }.map(String.init) ?? ""
        expect(row.split(separator: " ").filter { !$0.isEmpty }.dropFirst(3).first == "1", "verify reports the restart count (\(row))")
        let (_, before) = try await slimctlRun(["logs", "daemonset", victim, "--previous"] + target, "previous.log")
        let (_, after) = try await slimctlRun(["logs", "daemonset", victim] + target, "current.log")
        // Both instances log SLIM's own start line; the previous one's is from before the kill.
        expect(before.contains("dataplane server started"), "logs --previous shows the node's lines from before the crash")
        expect(after.contains("dataplane server started"), "logs shows the restarted node's own start")
        let (tested, _) = try await slimctlRun(["test", "all", "daemonset"] + target, "test.log")
        expect(tested == 0, "messages still flow after the restart (test all exits 0)")
        let (deleted, _) = try await slimctlRun(["delete", "daemonset"] + target, "delete.log")
        expect(deleted == 0, "delete exits 0")
        return scenario.ok
    }

    /// Seed 003's flow on the cluster path: a node joins and gets its SLIM node; an image update
    /// rolls node by node (never more than one SLIM node down, as the chart's maxUnavailable 1
    /// says), seen through `verify --watch`; messages flow on the new revision; the node leaves
    /// and its SLIM node's process is gone.
    static func nodesScenario(server: KubeSimServer, slimctl: String, env: [String: String], registry: ChartRegistry, dir: String) async throws -> Bool {
        let scenario = Scenario(slimctl: slimctl, env: env, dir: dir)
        func expect(_ cond: Bool, _ what: String) { scenario.expect(cond, what) }
        func run(_ args: [String], _ log: String) async throws -> (Int32, String) { try await scenario.run(args, log, echo: false) }
        func slimPods() -> [(name: String, node: String, ready: Bool, image: String)] {
            server.cluster.list("pods", namespace: "slim").compactMap { p in
                guard let name = p.lookup(["metadata", "name"])?.stringValue, name.hasPrefix("slim-"), !name.hasPrefix("slim-control"),
                    p.lookup(["metadata", "deletionTimestamp"]) == nil
                else { return nil }
                let st = p.lookup(["status", "containerStatuses"])?.listValue?.first
                return (
                    name, p.lookup(["spec", "nodeName"])?.stringValue ?? "", st?["ready"] == .bool(true),
                    p.lookup(["spec", "containers"])?.listValue?.first?["image"]?.stringValue ?? ""
                )
            }
        }
        func until(_ what: String, seconds: Int = 180, _ cond: () -> Bool) async throws -> Bool { try await scenario.until(what, seconds: seconds, cond) }
        let target = ["--target", "cluster"]
        let (deployed, _) = try await run(["deploy", "daemonset"] + target + registry.slimctlArgs, "deploy.log")
        expect(deployed == 0, "deploy daemonset exits 0")
        guard deployed == 0 else { return false }
        let watchLog = "\(dir)/watch.log"
        let watcher = try Spawn.start([slimctl, "verify", "daemonset", "--watch"] + target, environment: env, output: .file(watchLog))
        defer { kill(watcher, SIGINT); var st: Int32 = 0; waitpid(watcher, &st, 0) }

        say("a node joins: slim-cluster-worker3")
        server.cluster.setNodes([
            .init(
                name: "slim-cluster-control-plane", labels: ["node-role.kubernetes.io/control-plane": ""],
                taints: [.init(key: "node-role.kubernetes.io/control-plane", effect: .noSchedule)]),
            .init(name: "slim-cluster-worker"), .init(name: "slim-cluster-worker2"), .init(name: "slim-cluster-worker3")
        ])
        expect(
            try await until("a ready SLIM node on slim-cluster-worker3") { slimPods().contains { $0.node == "slim-cluster-worker3" && $0.ready } },
            "the new node got a SLIM node of its own, Ready (a real process)")
        let joined = slimPods().first { $0.node == "slim-cluster-worker3" }.map(\.name) ?? "?"
        let (verified, vout) = try await run(["verify", "daemonset"] + target, "verify-3.log")
        expect(verified == 0 && vout.contains("3/3 nodes ready"), "verify: DaemonSet slim 3/3 nodes ready")

        say("image update: slim.image.tag 2.3.0 → 2.2.0 (a rolling update of the DaemonSet)")
        let update = Task { try await run(["deploy", "daemonset", "--set", "slim.image.tag=2.2.0"] + target + registry.slimctlArgs, "update.log") }
        var minReady = 3
        var sawMixed = false
        let rolled = try await until("every SLIM node on 2.2.0 and Ready", seconds: 300) {
            let pods = slimPods()
            minReady = min(minReady, pods.filter(\.ready).count)
            let images = Set(pods.map(\.image))
            if images.count > 1 { sawMixed = true }
            return pods.count == 3 && pods.allSatisfy { $0.ready && $0.image.hasSuffix(":2.2.0") }
        }
        let (updated, _) = try await update.value
        expect(updated == 0 && rolled, "the update rolled out: 3 SLIM nodes on 2.2.0, all Ready")
        expect(sawMixed, "old and new revisions ran side by side during the roll (node by node, not all at once)")
        expect(minReady >= 2, "never more than one SLIM node down at a time (fewest ready seen: \(minReady))")
        let (tested, _) = try await run(["test", "all", "daemonset"] + target, "test.log")
        expect(tested == 0, "10/10 messages on the new revision")

        say("the node leaves: kubectl delete node slim-cluster-worker3")
        let victim = slimPods().first { $0.node == "slim-cluster-worker3" }
        let pid = victim.flatMap { server.cluster.processID(namespace: "slim", pod: $0.name) }
        _ = try await Spawn.run(
            ["\(root)/.tools/bin/kubectl", "delete", "node", "slim-cluster-worker3"], environment: env, log: "\(dir)/kubectl.log", timeout: .seconds(60))
        expect(
            try await until("no SLIM pod on the removed node") { !slimPods().contains { $0.node == "slim-cluster-worker3" } },
            "its SLIM pod was removed")
        expect(
            try await until("the removed node's SLIM process to exit") { pid.map { kill($0, 0) != 0 } ?? false },
            "its SLIM node process (pid \(pid.map(String.init) ?? "?")) is gone")
        try await Task.sleep(for: .seconds(2))
        let watched = (try? String(contentsOfFile: watchLog, encoding: .utf8)) ?? ""
        emit(watched)
        expect(watched.contains(joined) && watched.contains("slim-cluster-worker3"), "verify --watch showed the new node's SLIM node")
        expect(watched.lowercased().contains("rollout") || watched.contains("deleted"), "verify --watch showed the roll")
        let (deleted, _) = try await run(["delete", "daemonset"] + target, "delete.log")
        expect(deleted == 0, "delete exits 0")
        return scenario.ok
    }

    /// nil when the run passed with every message counted; otherwise why not.
    static func check(report path: String, code: Int32) -> String? {
        guard code == 0 else { return "slimctl ci exited \(code)" }
        guard let data = FileManager.default.contents(atPath: path),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return "no JSON report at \(path)" }
        guard json["result"] as? String == "passed" else { return "report says \(json["result"] ?? "nothing")" }
        let cases = json["cases"] as? [[String: Any]] ?? []
        let tests = cases.filter { $0["group"] as? String == "test" }
        guard !tests.isEmpty, tests.allSatisfy({ $0["status"] as? String == "passed" }) else { return "no passing message test in the report" }
        return nil
    }
}

struct E2EFailure: Error, CustomStringConvertible { let description: String }

/// What the scenarios share: running slimctl with its output kept in the run's folder, and
/// expectations said line by line (a failed one fails the scenario but lets it go on, so one
/// run shows every gap).
final class Scenario: @unchecked Sendable {
    let slimctl: String
    let env: [String: String]
    let dir: String
    private let lock = NSLock()
    private var failed = false
    var ok: Bool { lock.withLock { !failed } }

    init(slimctl: String, env: [String: String], dir: String) {
        self.slimctl = slimctl; self.env = env; self.dir = dir
    }

    /// Runs `slimctl args`, its output in `dir/log`; `echo` also prints it.
    func run(_ args: [String], _ log: String, echo: Bool) async throws -> (Int32, String) {
        E2E.say("$ slimctl \(args.joined(separator: " "))")
        let code = try await Spawn.run([slimctl] + args, environment: env, log: "\(dir)/\(log)", timeout: .seconds(600))
        let out = (try? String(contentsOfFile: "\(dir)/\(log)", encoding: .utf8)) ?? ""
        if echo { E2E.emit(out.hasSuffix("\n") || out.isEmpty ? out : out + "\n") }
        return (code, out)
    }

    func expect(_ cond: Bool, _ what: String) {
        E2E.say((cond ? "ok: " : "FAILED: ") + what)
        if !cond { lock.withLock { failed = true } }
    }

    /// Polls (test support only) until `cond` holds; false, said, after `seconds`.
    func until(_ what: String, seconds: Int, _ cond: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if cond() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        E2E.say("never happened: \(what)")
        return false
    }
}
