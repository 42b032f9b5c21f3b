import Foundation
import OrderedCollections
import Plan
import YAML

/// One difference `slimctl diff` shows: a release's values, an object, or a SLIM node's config.
struct DiffEntry: Sendable {
    enum Kind: String, Sendable { case values, manifest, config }
    var step: String
    var release: String?
    var kind: Kind
    /// What was compared, when a step has several: `DaemonSet slim/slim`, `slim-x7k2p on worker`.
    var object: String?
    /// The unified diff (secrets masked); empty for a note-only entry.
    var diff: String
    /// Said instead of (or before) the diff: `not deployed: would install`, `would create`.
    var note: String?
}

extension DiffEntry {
    /// A manifests step's objects against those recorded at its last deploy.
    static func recordedManifests(_ m: RenderedManifests, before: DeployedSnapshot, secrets: [String: String]) -> DiffEntry? {
        let deployed = ((try? YAML.loadAll(before.text, file: "deployed objects of \(m.step)")) ?? []).filter { !$0.isNull }
        return SecretDiff.diff(deployed: deployed, wouldDeploy: m.objects, deployedSecrets: before.secrets, secrets: secrets).map {
            DiffEntry(step: m.step, release: nil, kind: .manifest, diff: $0)
        }
    }
}

/// A target's part of `diff` for one step.
struct TargetDiff: Sendable {
    var entries: [DiffEntry] = []
    /// Why nothing of the step can be compared (kind cluster not created): it is reported as not deployed.
    var unavailable: String?
}

/// Per step: not deployed, unchanged, or would re-run with the reason and what changes.
struct StepDiff: Sendable {
    var step: String
    var release: String?
    /// What the step's note-only JSON entry is about: a release's values, objects, the cluster's config.
    var kind: DiffEntry.Kind
    /// `not deployed: would install`, `would re-run (values changed: …)`; nil when unchanged.
    var headline: String?
    var entries: [DiffEntry]
    var notDeployed: Bool

    var differs: Bool { notDeployed || headline != nil || !entries.isEmpty }

    /// The text form: one line per step, then each diff under a `step: what` line.
    var lines: [String] {
        var out = ["\(step): " + (headline ?? (entries.isEmpty ? "unchanged" : "would change"))]
        for e in entries {
            let what = e.kind == .values ? "values of release \(e.release ?? "?")" : e.object.map { "\(e.kind.rawValue) \($0)" } ?? "\(e.kind.rawValue)s"
            out.append("\(step): \(what)" + (e.note.map { ": \($0)" } ?? ""))
            if !e.diff.isEmpty { out.append(e.diff.hasSuffix("\n") ? String(e.diff.dropLast()) : e.diff) }
        }
        return out
    }

    /// The JSON form: `{step, release, kind, diff}` per difference (with `object` and `note`
    /// where there are); a step that differs without a content diff is one entry with its note.
    var json: [Value] {
        var items = entries.map { e in Self.item(step: step, release: e.release, kind: e.kind, object: e.object, diff: e.diff, note: e.note) }
        if items.isEmpty, let headline {
            items.append(Self.item(step: step, release: release, kind: kind, object: nil, diff: "", note: headline))
        }
        return items
    }

    static func item(step: String, release: String?, kind: DiffEntry.Kind, object: String?, diff: String, note: String?) -> Value {
        var m: OrderedDictionary<String, Value> = [
            "step": .string(step), "release": release.map { .string($0) } ?? .null,
            "kind": .string(kind.rawValue)
        ]
        if let object { m["object"] = .string(object) }
        m["diff"] = .string(diff)
        if let note { m["note"] = .string(note) }
        return .map(m)
    }
}
