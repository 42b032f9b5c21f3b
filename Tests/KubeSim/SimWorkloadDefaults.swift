import YAML

/// What kube-apiserver's registry does to workloads on every write, before any controller sees
/// them: the apps/v1 defaults (so the controllers, kubectl and helm read the same spec a real
/// server returns: a Deployment's 25%/25% rolling update, revision history of 10, progress
/// deadline of 600 s; a DaemonSet's maxUnavailable 1, maxSurge 0) and a DaemonSet's template
/// generation, kept in the `deprecated.daemonset.template.generation` annotation: 1 on create,
/// incremented whenever the pod template changes.
extension SimCluster {
    func prepareWorkloadLocked(_ r: SimResource, _ obj: inout Value) {
        switch r.name {
        case "deployments":
            if obj[path: ["spec", "replicas"]] == nil { obj[path: ["spec", "replicas"]] = 1 }
            if obj[path: ["spec", "strategy", "type"]] == nil { obj[path: ["spec", "strategy", "type"]] = "RollingUpdate" }
            if obj[path: ["spec", "strategy", "type"]]?.str == "RollingUpdate" {
                for k in ["maxUnavailable", "maxSurge"] where obj[path: ["spec", "strategy", "rollingUpdate", k]] == nil {
                    obj[path: ["spec", "strategy", "rollingUpdate", k]] = "25%"
                }
            }
            if obj[path: ["spec", "revisionHistoryLimit"]] == nil { obj[path: ["spec", "revisionHistoryLimit"]] = 10 }
            if obj[path: ["spec", "progressDeadlineSeconds"]] == nil { obj[path: ["spec", "progressDeadlineSeconds"]] = 600 }
        case "replicasets":
            if obj[path: ["spec", "replicas"]] == nil { obj[path: ["spec", "replicas"]] = 1 }
        case "statefulsets":
            if obj[path: ["spec", "updateStrategy", "type"]] == nil { obj[path: ["spec", "updateStrategy", "type"]] = "RollingUpdate" }
            if obj[path: ["spec", "updateStrategy", "type"]]?.str == "RollingUpdate",
                obj[path: ["spec", "updateStrategy", "rollingUpdate", "partition"]] == nil
            {
                obj[path: ["spec", "updateStrategy", "rollingUpdate", "partition"]] = 0
            }
            if obj[path: ["spec", "revisionHistoryLimit"]] == nil { obj[path: ["spec", "revisionHistoryLimit"]] = 10 }
            if obj[path: ["spec", "persistentVolumeClaimRetentionPolicy"]] == nil {
                obj[path: ["spec", "persistentVolumeClaimRetentionPolicy"]] = .map(["whenDeleted": "Retain", "whenScaled": "Retain"])
            }
        case "daemonsets":
            if obj[path: ["spec", "updateStrategy", "type"]] == nil { obj[path: ["spec", "updateStrategy", "type"]] = "RollingUpdate" }
            if obj[path: ["spec", "updateStrategy", "type"]]?.str == "RollingUpdate" {
                if obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]] == nil {
                    obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"]] = 1
                }
                if obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxSurge"]] == nil {
                    obj[path: ["spec", "updateStrategy", "rollingUpdate", "maxSurge"]] = 0
                }
            }
            if obj[path: ["spec", "revisionHistoryLimit"]] == nil { obj[path: ["spec", "revisionHistoryLimit"]] = 10 }
            let ns = obj[path: ["metadata", "namespace"]]?.str ?? ""
            var generation: Int64 = 1
            if let old = objects[r]?[ns]?[obj[path: ["metadata", "name"]]?.str ?? ""] {
                generation = Int64(old[path: ["metadata", "annotations", Self.templateGenerationAnnotation]]?.str ?? "") ?? 1
                if !SimTemplates.equal(old[path: ["spec", "template"]], obj[path: ["spec", "template"]]) { generation += 1 }
            }
            obj[path: ["metadata", "annotations", Self.templateGenerationAnnotation]] = .string(String(generation))
        default:
            return
        }
    }
}
