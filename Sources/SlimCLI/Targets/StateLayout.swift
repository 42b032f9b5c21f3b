import Foundation
import Kube
import Plan

/// Where slimctl keeps what it knows about one strategy on one target, spelled once. The state
/// folder (`--state-dir`, `SLIMCTL_STATE_DIR`, default `$XDG_STATE_HOME/slimctl`, see
/// `StateRoot`) holds, per strategy: step records, run logs, rendered values, the local target's
/// processes, kind's kubeconfig and the lock that serialises mutating commands.
struct StateLayout: Sendable {
    var root: String
    var strategy: String
    var target: TargetKind
    /// The cluster target's kubeconfig context: the same strategy deployed to two clusters keeps
    /// two records, so a deploy to the second is never "skipped (unchanged)" by the first's.
    var context: String? = nil

    /// The layout for the target `flags` name; for the cluster target, keyed by `--context` or
    /// else the kubeconfig's current context (unreadable kubeconfig: unkeyed, and the session
    /// reports the kubeconfig's problem itself).
    init(root: String, strategy: String, flags: TargetFlags) {
        self.root = root
        self.strategy = strategy
        target = flags.target
        if flags.target == .cluster {
            context = flags.context ?? (try? KubeconfigLoader.load(explicitPath: flags.kubeconfig.map(Workspace.absolute)))?.currentContext
        }
    }

    init(root: String, strategy: String, target: TargetKind) {
        self.root = root
        self.strategy = strategy
        self.target = target
    }

    /// `local`, `kind`, or `cluster@<context>` (characters a file name cannot hold become `_`).
    var targetKey: String {
        guard target == .cluster, let context, !context.isEmpty else { return target.rawValue }
        return "cluster@" + String(context.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
    }

    /// Step records (`Engine`): which steps finished with which inputs.
    var statePath: String { "\(root)/state/\(strategy)-\(targetKey).json" }
    /// Step logs, test logs, diagnostics of runs.
    var runDir: String { "\(root)/runs/\(strategy)" }
    /// The values files and manifests helm and kubectl are given.
    var renderDir: String { "\(root)/rendered/\(strategy)" }
    /// What each step deployed when it last finished (`StepSnapshots`), for `slimctl diff`.
    var deployedDir: String { "\(root)/deployed/\(strategy)-\(targetKey)" }

    /// `delete` forgets the finished steps and what they deployed: the next deploy starts over.
    func forgetDeployed() {
        try? FileManager.default.removeItem(atPath: statePath)
        try? FileManager.default.removeItem(atPath: deployedDir)
    }

    /// The local target's process records and node configs.
    var localDir: String { "\(root)/local/\(strategy)" }
    /// The kubeconfig of a kind cluster slimctl created (the user's is never edited).
    func kindKubeconfig(cluster: String) -> String { "\(root)/kind/\(cluster).kubeconfig" }
    /// Held by deploy, test, delete and ci (see `DeployLock`).
    var lockPath: String { "\(root)/\(targetKey)/\(strategy).lock" }
}

/// The state folder when none is named: `$XDG_STATE_HOME/slimctl`, else
/// `~/.local/state/slimctl`. Never the current folder (state would follow wherever the command
/// happened to run, and `status` elsewhere would see nothing) and never `~/.slimctl`, which is
/// SLIM's own control CLI's config folder.
enum StateRoot {
    static func resolve(flag: String?, environment env: [String: String]) -> String {
        if let flag { return flag }
        if let e = env["SLIMCTL_STATE_DIR"], !e.isEmpty { return e }
        return defaultRoot(environment: env)
    }

    static func defaultRoot(environment env: [String: String]) -> String {
        // The XDG spec: a relative XDG_STATE_HOME is invalid and is ignored.
        if let x = env["XDG_STATE_HOME"], x.hasPrefix("/") { return "\(x)/slimctl" }
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return "\(home)/.local/state/slimctl"
    }

    /// Earlier builds kept state in `./.slimctl`; a user running from such a
    /// folder would otherwise see every step pending with no hint why. Never said for `~/.slimctl`
    /// (SLIM's control CLI's folder, not ours) or when a state folder is named.
    static func movedNote(arguments: [String], environment env: [String: String], cwd: String) -> String? {
        guard !arguments.contains(where: { $0 == "--state-dir" || $0.hasPrefix("--state-dir=") }),
            (env["SLIMCTL_STATE_DIR"] ?? "").isEmpty
        else { return nil }
        let old = "\(cwd)/.slimctl"
        guard cwd != env["HOME"], cwd != NSHomeDirectory(), FileManager.default.fileExists(atPath: "\(old)/state") else { return nil }
        return "note: slimctl keeps its state in \(defaultRoot(environment: env)) now; \(old) here is no longer read "
            + "(pass --state-dir \(old) or set SLIMCTL_STATE_DIR to keep using it)"
    }
}
