import Foundation
import Plan

/// The one switch on the target kind: everything else is written against `DeploymentTarget`.
enum Targets {
    /// Opens `strategy` on the target the flags name. `sources` (chart overrides and mirrors)
    /// matter to the Kubernetes targets; `portBase` (fixed loopback ports) to the local one.
    static func open(strategy: String, options: StrategyOptions, flags: TargetFlags, sources: ChartSourceOptions? = nil,
                     portBase: Int? = nil) throws -> any DeploymentTarget {
        switch flags.target {
        case .local:
            if let p = portBase, !(1024...65000).contains(p) { throw CLIError.config("--port-base \(p): choose a port between 1024 and 65000") }
            return LocalDeployment(session: try LocalSession(strategy: strategy, options: options, target: flags, portBase: portBase))
        case .kind, .cluster:
            if portBase != nil { throw CLIError.config("--port-base is for the local target only") }
            return KubeDeployment(session: try KubeSession(strategy: strategy, options: options, target: flags, sources: sources),
                                  strategyArgument: strategy, options: options, flags: flags)
        }
    }
}
