import Foundation
import Placement

/// The simulated nodes of the local target as a user changes them with `slimctl local-node`:
/// add, remove, label, taint, cordon. Pure edits on `LocalState.SimNode` lists, each returning
/// what changed in words, with kubectl's syntax and rules (`key=value`, `key-`, `--overwrite`;
/// `key=value:Effect`, `key:Effect-`, `key-`).
public enum SimNodes {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// The nodes as Placement sees them: labels, taints, cordon and readiness, plus the taints
    /// the node lifecycle controller would have put there (`node.kubernetes.io/unschedulable`
    /// on a cordoned node, `not-ready` on a NotReady one).
    public static func nodeInfo(_ n: LocalState.SimNode) -> NodeInfo {
        NodeInfo(
            name: n.name, labels: n.labels, taints: n.taints.compactMap { try? parseTaint($0) },
            unschedulable: n.unschedulable ?? false, ready: n.ready
        ).withLifecycleTaints()
    }

    public static func simNode(_ n: NodeInfo) -> LocalState.SimNode {
        LocalState.SimNode(
            name: n.name, labels: n.labels, taints: n.taints.map(\.description), ready: n.ready,
            unschedulable: n.unschedulable ? true : nil)
    }

    /// A fingerprint of everything placement reads, for the SLIM step's input hash: a node
    /// added, removed, relabelled, tainted or cordoned changes it.
    public static func fingerprint(_ nodes: [LocalState.SimNode]) -> String {
        nodes.sorted { $0.name < $1.name }.map { n in
            "\(n.name){" + n.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                + "|" + n.taints.sorted().joined(separator: ",") + "|\(n.unschedulable ?? false)|\(n.ready)}"
        }.joined(separator: ";")
    }

    /// A new node as kind's kubelet would register it: hostname, os and arch labels.
    public static func make(name: String, labels: [String: String] = [:], taints: [Taint] = []) -> LocalState.SimNode {
        var l = [
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"
        ]
        for (k, v) in labels { l[k] = v }
        return LocalState.SimNode(name: name, labels: l, taints: taints.map(\.description), ready: true)
    }

    // MARK: edits

    public static func add(_ nodes: inout [LocalState.SimNode], name: String, labels: [String], taints: [String]) throws -> [String] {
        guard isNodeName(name) else {
            throw Failure("node name `\(name)`: use lowercase letters, digits, `-` and `.` (a DNS subdomain, as Kubernetes requires)")
        }
        if nodes.contains(where: { $0.name == name }) { throw Failure("node \(name) already exists") }
        var l: [String: String] = [:]
        for spec in labels {
            guard case .set(let k, let v) = try parseLabel(spec) else { throw Failure("--label \(spec): give key=value") }
            l[k] = v
        }
        var t: [Taint] = []
        for spec in taints {
            guard case .set(let taint) = try parseTaintEdit(spec) else { throw Failure("--taint \(spec): give key=value:Effect") }
            t.removeAll { $0.key == taint.key && $0.effect == taint.effect }
            t.append(taint)
        }
        nodes.append(make(name: name, labels: l, taints: t))
        nodes.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return [
            "node/\(name) added" + (l.isEmpty ? "" : ", labels " + l.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
                + (t.isEmpty ? "" : ", taints " + t.map(\.description).joined(separator: ","))
        ]
    }

    public static func remove(_ nodes: inout [LocalState.SimNode], name: String) throws -> [String] {
        let i = try index(nodes, name)
        nodes.remove(at: i)
        return ["node/\(name) removed"]
    }

    public enum LabelEdit: Equatable, Sendable { case set(String, String), remove(String) }

    /// `key=value` or `key-`, keys and values checked as the API server checks them.
    public static func parseLabel(_ spec: String) throws -> LabelEdit {
        if spec.hasSuffix("-") && !spec.contains("=") {
            let key = String(spec.dropLast())
            guard LabelSyntax.isQualifiedName(key) else { throw Failure("label key `\(key)` is not a valid label key") }
            return .remove(key)
        }
        guard let eq = spec.firstIndex(of: "=") else { throw Failure("label `\(spec)`: give key=value, or key- to remove it") }
        let key = String(spec[..<eq]), value = String(spec[spec.index(after: eq)...])
        guard LabelSyntax.isQualifiedName(key) else { throw Failure("label key `\(key)` is not a valid label key") }
        guard LabelSyntax.isValue(value) else {
            throw Failure("label value `\(value)` is not valid: at most 63 letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit")
        }
        return .set(key, value)
    }

    /// Like `kubectl label node`: changing an existing value needs `overwrite`; removing a label
    /// that is not there says so and changes nothing.
    public static func label(_ nodes: inout [LocalState.SimNode], name: String, edits: [String], overwrite: Bool) throws -> [String] {
        let i = try index(nodes, name)
        var node = nodes[i]
        var said: [String] = []
        for spec in edits {
            switch try parseLabel(spec) {
            case .set(let k, let v):
                if let old = node.labels[k] {
                    if old == v { said.append("node/\(name) label \(k)=\(v) unchanged"); continue }
                    guard overwrite else { throw Failure("node \(name) already has label \(k)=\(old); add --overwrite to change it") }
                    said.append("node/\(name) label \(k)=\(old) → \(k)=\(v)")
                } else {
                    said.append("node/\(name) labeled \(k)=\(v)")
                }
                node.labels[k] = v
            case .remove(let k):
                if node.labels.removeValue(forKey: k) != nil {
                    said.append("node/\(name) label \(k) removed")
                } else {
                    said.append("node/\(name) has no label \(k)")
                }
            }
        }
        nodes[i] = node
        return said
    }

    public enum TaintEdit: Equatable, Sendable { case set(Taint), remove(key: String, effect: TaintEffect?) }

    /// `key=value:Effect`, `key:Effect`, `key:Effect-` or `key-` (every effect), as `kubectl taint`.
    public static func parseTaintEdit(_ spec: String) throws -> TaintEdit {
        if spec.hasSuffix("-") {
            let body = String(spec.dropLast())
            if let colon = body.lastIndex(of: ":") {
                let key = String(body[..<colon]).split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                return .remove(key: try checkedKey(key), effect: try effect(String(body[body.index(after: colon)...])))
            }
            return .remove(key: try checkedKey(body), effect: nil)
        }
        return .set(try parseTaint(spec))
    }

    public static func parseTaint(_ spec: String) throws -> Taint {
        guard let colon = spec.lastIndex(of: ":") else {
            throw Failure("taint `\(spec)`: give key=value:Effect or key:Effect (Effect: NoSchedule, PreferNoSchedule, NoExecute), or key- to remove it")
        }
        let kv = spec[..<colon]
        let e = try effect(String(spec[spec.index(after: colon)...]))
        let parts = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let value = parts.count > 1 ? parts[1] : ""
        guard LabelSyntax.isValue(value) else { throw Failure("taint value `\(value)` is not valid (the rules of a label value)") }
        return Taint(key: try checkedKey(parts[0]), value: value, effect: e)
    }

    static func effect(_ s: String) throws -> TaintEffect {
        guard let e = TaintEffect(rawValue: s) else {
            throw Failure("taint effect `\(s)`: use NoSchedule, PreferNoSchedule or NoExecute")
        }
        return e
    }

    static func checkedKey(_ key: String) throws -> String {
        guard LabelSyntax.isQualifiedName(key) else { throw Failure("taint key `\(key)` is not a valid key") }
        return key
    }

    /// Like `kubectl taint nodes`: a taint with the same key and effect is replaced (with
    /// `overwrite`; without, a different value is an error); removing one that is not there is an error.
    public static func taint(_ nodes: inout [LocalState.SimNode], name: String, edits: [String], overwrite: Bool) throws -> [String] {
        let i = try index(nodes, name)
        var taints = nodes[i].taints.compactMap { try? parseTaint($0) }
        var said: [String] = []
        for spec in edits {
            switch try parseTaintEdit(spec) {
            case .set(let t):
                if let j = taints.firstIndex(where: { $0.key == t.key && $0.effect == t.effect }) {
                    if taints[j] == t { said.append("node/\(name) taint \(t) unchanged"); continue }
                    guard overwrite else { throw Failure("node \(name) already has taint \(taints[j]); add --overwrite to change it") }
                    said.append("node/\(name) taint \(taints[j]) → \(t)")
                    taints[j] = t
                } else {
                    taints.append(t)
                    said.append("node/\(name) tainted \(t)")
                }
            case .remove(let key, let effect):
                let gone = taints.filter { $0.key == key && (effect == nil || $0.effect == effect) }
                guard !gone.isEmpty else { throw Failure("node \(name) has no taint \(key)" + (effect.map { ":\($0.rawValue)" } ?? "")) }
                taints.removeAll { gone.contains($0) }
                said += gone.map { "node/\(name) taint \($0) removed" }
            }
        }
        nodes[i].taints = taints.map(\.description)
        return said
    }

    public static func cordon(_ nodes: inout [LocalState.SimNode], name: String, _ on: Bool) throws -> [String] {
        let i = try index(nodes, name)
        let was = nodes[i].unschedulable ?? false
        nodes[i].unschedulable = on ? true : nil
        if was == on { return ["node/\(name) already \(on ? "cordoned" : "uncordoned")"] }
        return ["node/\(name) \(on ? "cordoned" : "uncordoned")"]
    }

    static func index(_ nodes: [LocalState.SimNode], _ name: String) throws -> Int {
        guard let i = nodes.firstIndex(where: { $0.name == name }) else {
            throw Failure("no node named \(name); nodes: " + nodes.map(\.name).joined(separator: ", "))
        }
        return i
    }

    /// RFC 1123 subdomain, as node names must be.
    static func isNodeName(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        let ok = { (c: Character) in c.isASCII && (c.isLowercase || c.isNumber) }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let f = label.first, let l = label.last else { return false }
            return ok(f) && ok(l) && label.allSatisfy { ok($0) || $0 == "-" }
        }
    }
}
