import Foundation
import Plan

/// The local target's additions to a plan that the planner cannot know (it does not depend on
/// this module): which slim-bindings will run the SLIM step, and whether that is the exact
/// pairing or the nearest one. The version also enters the step's hash, so a deploy after the
/// pairing changed restarts the nodes with the other version instead of skipping the step.
public enum LocalPlanNotes {
    public static func annotate(_ plan: inout Plan, rendered: Rendered, bindings: BindingsPairing?) {
        guard let bindings else { return }
        for i in plan.steps.indices {
            guard let r = rendered.release(forStep: plan.steps[i].name), LocalLayout.slimRelease(r) != nil else { continue }
            plan.steps[i].actions.insert(.notice(bindings.summary), at: 0)
            if !bindings.staticPeers {
                plan.steps[i].actions.append(
                    .notice(
                        "slim-bindings \(bindings.bindings) has no static peers: the local SLIM nodes are not meshed "
                            + "(on a cluster the SLIM controller routes between them); any-node Services resolve to one node"))
            }
            plan.steps[i].inputsHash = Hash.fnv1a(plan.steps[i].inputsHash + "|slim-bindings " + bindings.bindings)
        }
    }
}
