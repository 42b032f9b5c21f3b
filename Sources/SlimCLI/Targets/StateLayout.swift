import Foundation
import Plan

/// Where slimctl keeps what it knows about one strategy on one target, spelled once. The state
/// folder (`--state-dir`, `SLIMCTL_STATE_DIR`, default `./.slimctl`) holds, per strategy:
/// step records, run logs, rendered values, the local target's processes, kind's kubeconfig and
/// the lock that serialises mutating commands.
struct StateLayout: Sendable {
    var root: String
    var strategy: String
    var target: TargetKind

    /// Step records (`Engine`): which steps finished with which inputs.
    var statePath: String { "\(root)/state/\(strategy)-\(target.rawValue).json" }
    /// Step logs, test logs, diagnostics of runs.
    var runDir: String { "\(root)/runs/\(strategy)" }
    /// The values files and manifests helm and kubectl are given.
    var renderDir: String { "\(root)/rendered/\(strategy)" }
    /// What each step deployed when it last finished (`StepSnapshots`), for `slimctl diff`.
    var deployedDir: String { "\(root)/deployed/\(strategy)-\(target.rawValue)" }

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
    var lockPath: String { "\(root)/\(target.rawValue)/\(strategy).lock" }
}
