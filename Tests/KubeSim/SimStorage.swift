import OrderedCollections
import YAML

/// Persistent volumes the way a kind cluster provides them: one default StorageClass,
/// `standard`, backed by rancher's local-path provisioner and binding on first consumer. A claim
/// without a class gets the default (the DefaultStorageClass admission plugin); it stays
/// Pending until a pod using it is scheduled, then the provisioner creates a PersistentVolume
/// on that pod's node and the PV controller binds both. A claim's deletion releases its volume,
/// which the Delete reclaim policy removes.
extension SimCluster {
    static let defaultClassAnnotation = "storageclass.kubernetes.io/is-default-class"
    static let localPathProvisioner = "rancher.io/local-path"

    func installDefaultStorageClass() {
        _ = try? createLocked(
            Self.res("storageclasses"), namespace: nil,
            object: .map([
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": .map(["name": "standard", "annotations": .map([Self.defaultClassAnnotation: "true"])]),
                "provisioner": .string(Self.localPathProvisioner), "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"
            ]), manager: "kubectl-create")
    }

    func defaultClassLocked() -> String? {
        allLocked(Self.res("storageclasses"), namespace: nil)
            .last { $0[path: ["metadata", "annotations", Self.defaultClassAnnotation]]?.str == "true" }?[path: ["metadata", "name"]]?.str
    }

    func defaultClaim(_ pvc: inout Value) {
        if pvc[path: ["spec", "storageClassName"]] == nil, let cls = defaultClassLocked() {
            pvc[path: ["spec", "storageClassName"]] = .string(cls)
        }
        if pvc[path: ["spec", "volumeMode"]] == nil { pvc[path: ["spec", "volumeMode"]] = "Filesystem" }
        pvc[path: ["status"]] = .map(["phase": "Pending"])
    }

    // MARK: Controllers

    func reconcileStorage() {
        let claims = Self.res("persistentvolumeclaims"), volumes = Self.res("persistentvolumes")
        let allClaims = allLocked(claims, namespace: nil)
        let pending = allClaims.contains { $0[path: ["status", "phase"]]?.str == "Pending" && $0[path: ["spec", "volumeName"]] == nil }
        var consumers: [String: String] = [:]  // namespace/claim → node of a scheduled pod using it
        // Only a pending claim needs the pods; a benchmark-sized cluster has many and no claims.
        for byName in pending ? (objects[Self.res("pods")] ?? [:]).values.map(\.values) : [] {
            for pod in byName {
                guard let node = pod[path: ["spec", "nodeName"]]?.str, !node.isEmpty else { continue }
                let ns = pod[path: ["metadata", "namespace"]]?.str ?? ""
                for v in pod[path: ["spec", "volumes"]]?.list ?? [] {
                    if let c = v[path: ["persistentVolumeClaim", "claimName"]]?.str { consumers["\(ns)/\(c)"] = node }
                }
            }
        }
        var liveClaims = Set<String>()
        for pvc in allClaims {
            liveClaims.insert(pvc[path: ["metadata", "uid"]]?.str ?? "")
            guard pvc[path: ["status", "phase"]]?.str == "Pending", pvc[path: ["spec", "volumeName"]] == nil else { continue }
            let key = "\(pvc[path: ["metadata", "namespace"]]?.str ?? "")/\(pvc[path: ["metadata", "name"]]?.str ?? "")"
            guard let clsName = pvc[path: ["spec", "storageClassName"]]?.str,
                let cls = objects[Self.res("storageclasses")]?[""]?[clsName]
            else { continue }
            if cls["volumeBindingMode"]?.str == "WaitForFirstConsumer", consumers[key] == nil {
                if pvc[path: ["metadata", "annotations", "volume.kubernetes.io/storage-provisioner"]] == nil {
                    recordEvent(
                        about: pvc, kind: "PersistentVolumeClaim", reason: "WaitForFirstConsumer",
                        message: "waiting for first consumer to be created before binding", component: "persistentvolume-controller")
                    var marked = pvc
                    marked[path: ["metadata", "annotations", "volume.kubernetes.io/storage-provisioner"]] = cls["provisioner"]
                    marked[path: ["metadata", "annotations", "volume.beta.kubernetes.io/storage-provisioner"]] = cls["provisioner"]
                    updateLocked(claims, marked)
                }
                continue
            }
            provision(pvc, class: cls, node: consumers[key])
        }
        // Volumes whose claim is gone are released; the Delete policy removes them.
        for pv in allLocked(volumes, namespace: nil) {
            guard let claimUID = pv[path: ["spec", "claimRef", "uid"]]?.str, !liveClaims.contains(claimUID) else { continue }
            if pv[path: ["spec", "persistentVolumeReclaimPolicy"]]?.str == "Delete" {
                removeLocked(volumes, pv, propagation: nil)
            } else if pv[path: ["status", "phase"]]?.str != "Released" {
                writeStatus(volumes, pv, .map(["phase": "Released", "lastPhaseTransitionTime": .string(SimTime.rfc3339())]))
            }
        }
    }

    /// The local-path provisioner's volume for a claim, then the PV controller's binding.
    func provision(_ pvc: Value, class cls: Value, node: String?) {
        let ns = pvc[path: ["metadata", "namespace"]]?.str ?? ""
        let name = pvc[path: ["metadata", "name"]]?.str ?? ""
        let uid = pvc[path: ["metadata", "uid"]]?.str ?? ""
        let pvName = "pvc-\(uid)"
        let size = pvc[path: ["spec", "resources", "requests", "storage"]] ?? "1Gi"
        let now = SimTime.rfc3339()
        var spec: OrderedDictionary<String, Value> = [
            "accessModes": pvc[path: ["spec", "accessModes"]] ?? .list([]), "capacity": .map(["storage": size]),
            "claimRef": .map([
                "apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": .string(name), "namespace": .string(ns),
                "resourceVersion": pvc[path: ["metadata", "resourceVersion"]] ?? "", "uid": .string(uid)
            ]),
            "hostPath": .map(["path": .string("/var/local-path-provisioner/\(pvName)_\(ns)_\(name)"), "type": "DirectoryOrCreate"])
        ]
        if let node {
            spec["nodeAffinity"] = .map([
                "required": .map([
                    "nodeSelectorTerms": .list([
                        .map([
                            "matchExpressions": .list([
                                .map(["key": "kubernetes.io/hostname", "operator": "In", "values": .list([.string(node)])])
                            ])
                        ])
                    ])
                ])
            ])
        }
        spec["persistentVolumeReclaimPolicy"] = cls["reclaimPolicy"] ?? "Delete"
        spec["storageClassName"] = cls[path: ["metadata", "name"]] ?? ""
        spec["volumeMode"] = pvc[path: ["spec", "volumeMode"]] ?? "Filesystem"
        let pv: Value = .map([
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": .map([
                "name": .string(pvName),
                "annotations": .map([
                    "local.path.provisioner/selected-node": .string(node ?? ""),
                    "pv.kubernetes.io/provisioned-by": cls["provisioner"] ?? ""
                ])
            ]),
            "spec": .map(spec)
        ])
        guard var created = try? createLocked(Self.res("persistentvolumes"), namespace: nil, object: pv, manager: "local-path-provisioner") else { return }
        created[path: ["status"]] = .map(["phase": "Bound", "lastPhaseTransitionTime": .string(now)])
        updateLocked(Self.res("persistentvolumes"), created)
        var bound = pvc
        var annotations = bound[path: ["metadata", "annotations"]]?.mapValue ?? [:]
        annotations["pv.kubernetes.io/bind-completed"] = "yes"
        annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
        annotations["volume.beta.kubernetes.io/storage-provisioner"] = cls["provisioner"] ?? ""
        annotations["volume.kubernetes.io/storage-provisioner"] = cls["provisioner"] ?? ""
        if let node { annotations["volume.kubernetes.io/selected-node"] = .string(node) }
        bound[path: ["metadata", "annotations"]] = .map(annotations)
        bound[path: ["spec", "volumeName"]] = .string(pvName)
        bound[path: ["status"]] = .map([
            "phase": "Bound", "accessModes": pvc[path: ["spec", "accessModes"]] ?? .list([]),
            "capacity": .map(["storage": size])
        ])
        updateLocked(Self.res("persistentvolumeclaims"), bound)
        recordEvent(
            about: bound, kind: "PersistentVolumeClaim", reason: "ProvisioningSucceeded",
            message: "Successfully provisioned volume \(pvName)", component: Self.localPathProvisioner)
    }

    // MARK: StatefulSet claims

    /// The claims a StatefulSet pod gets from `volumeClaimTemplates` (`<template>-<pod>`),
    /// created when missing and kept after the pod and the StatefulSet go, as the default
    /// retention policy (Retain) does; the pod mounts each as a volume of the template's name.
    func claimTemplateVolumes(_ sts: Value, podName: String, namespace: String) -> [Value] {
        let selector = sts[path: ["spec", "selector", "matchLabels"]]?.mapValue ?? [:]
        return (sts[path: ["spec", "volumeClaimTemplates"]]?.list ?? []).compactMap { t in
            guard let template = t[path: ["metadata", "name"]]?.str else { return nil }
            let claim = "\(template)-\(podName)"
            if objects[Self.res("persistentvolumeclaims")]?[namespace]?[claim] == nil {
                var labels = t[path: ["metadata", "labels"]]?.mapValue ?? [:]
                for (k, v) in selector { labels[k] = v }
                let pvc: Value = .map([
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": .map(["name": .string(claim), "namespace": .string(namespace), "labels": .map(labels)]),
                    "spec": t["spec"] ?? .map([:])
                ])
                _ = try? createLocked(Self.res("persistentvolumeclaims"), namespace: namespace, object: pvc, manager: "kube-controller-manager")
            }
            return .map(["name": .string(template), "persistentVolumeClaim": .map(["claimName": .string(claim)])])
        }
    }
}
