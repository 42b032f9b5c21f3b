import Foundation
import Kube
import KubeTarget
import Local
import Plan
import Strategy
import Tools

extension Targets {
    /// The pod names `logs <TAB>` offers for a strategy on a target: the local target's process
    /// records; on kind (once slimctl has its kubeconfig) and on a cluster, the pods of the
    /// strategy's namespaces, asked within `deadline` (see `ClusterPodNames`).
    static func podNames(
        strategy: Strategy, stateRoot: String, target: TargetKind, context: String?, kubeconfig: String?,
        deadline: Duration = ClusterPodNames.deadline()
    ) async -> [String] {
        let layout = StateLayout(root: stateRoot, strategy: strategy.name, target: target)
        switch target {
        case .local:
            return LocalState.load(LocalTarget.statePath(stateDir: layout.localDir))?.processes.map(\.name) ?? []
        case .kind:
            let path = layout.kindKubeconfig(cluster: strategy.cluster.name)
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return await ClusterPodNames.list(
                kubeconfig: path, context: Kind.contextName(cluster: strategy.cluster.name),
                namespaces: LogSelectors.namespaces(strategy), deadline: deadline)
        case .cluster:
            return await ClusterPodNames.list(
                kubeconfig: kubeconfig.map(Workspace.absolute), context: context,
                namespaces: LogSelectors.namespaces(strategy), deadline: deadline)
        }
    }
}
