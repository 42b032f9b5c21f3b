import Foundation
import YAML

/// One named input of a planned step, hashed on its own, so that a re-run can say which inputs
/// changed (`values changed: slim-2.yaml; --set image.tag`) instead of only that the step's
/// combined hash did. Names never hold a value: a `--set` is named by its paths.
public struct StepInput: Sendable, Hashable, Codable {
    /// What kind of input: `values`, `chart`, `manifest`, `cluster layout`, `simulated nodes`, `step`.
    public var kind: String
    /// Which one, stable across runs (`slim-2.yaml`, `--set image.tag`, `Service slim-any`); empty
    /// when the kind has only one.
    public var name: String
    public var hash: String

    public init(kind: String, name: String = "", hash: String) {
        self.kind = kind
        self.name = name
        self.hash = hash
    }

    var key: String { kind + "\u{1F}" + name }
}

public enum StepInputs {
    /// The inputs of a helm step: each values layer, the chart, and what the step waits for.
    static func helm(_ r: RenderedRelease, chart: String, needs: [String]) -> [StepInput] {
        var inputs = r.layers.map { StepInput(kind: "values", name: $0.label, hash: Hash.fnv1a(YAML.emit($0.values))) }
        inputs.append(StepInput(kind: "chart", name: r.release, hash: Hash.fnv1a(chart)))
        inputs.append(StepInput(kind: "namespace", hash: Hash.fnv1a(r.namespace)))
        inputs.append(step(needs))
        return unique(inputs)
    }

    /// The inputs of a manifests step: each object, named by kind and name.
    static func manifests(_ m: RenderedManifests, needs: [String]) -> [StepInput] {
        let objects = m.objects.map { o in
            StepInput(
                kind: "manifest", name: "\(o["kind"]?.stringValue ?? "?") \(o["metadata"]?["name"]?.stringValue ?? "?")",
                hash: Hash.fnv1a(YAML.emit(o)))
        }
        return unique(objects + [step(needs)])
    }

    /// The cluster layout, and on kind each image loaded into the nodes, so that adding an image
    /// re-runs the step (a rebuild under the same name is loaded with `--only <cluster step>`).
    static func cluster(_ kindConfig: String, needs: [String], images: [String] = []) -> [StepInput] {
        let loaded = images.map { StepInput(kind: "image to load", name: $0, hash: Hash.fnv1a($0)) }
        return unique([StepInput(kind: "cluster layout", hash: Hash.fnv1a(kindConfig))] + loaded + [step(needs)])
    }

    static func step(_ needs: [String]) -> StepInput {
        StepInput(kind: "step", name: "needs", hash: Hash.fnv1a(needs.joined(separator: ",")))
    }

    /// Two inputs of one name (`--set a=1 --set a=2`) are told apart by their place.
    static func unique(_ inputs: [StepInput]) -> [StepInput] {
        var seen: [String: Int] = [:]
        return inputs.map { i in
            let n = (seen[i.key] ?? 0) + 1
            seen[i.key] = n
            guard n > 1 else { return i }
            var copy = i
            copy.name += " (\(n))"
            return copy
        }
    }

    /// Which inputs differ between the recorded run and now, in plan order, grouped by kind:
    /// `values changed: slim-2.yaml; --set image.tag`. Inputs no longer given are marked.
    /// nil when no named input differs (a record from before inputs were kept).
    public static func changes(now: [StepInput], recorded: [StepInput]?) -> String? {
        guard let recorded else { return nil }
        let before = Dictionary(recorded.map { ($0.key, $0.hash) }, uniquingKeysWith: { a, _ in a })
        let current = Set(now.map(\.key))
        var byKind: [(kind: String, names: [String])] = []
        func add(_ kind: String, _ name: String) {
            if let i = byKind.firstIndex(where: { $0.kind == kind }) { byKind[i].names.append(name) } else { byKind.append((kind, [name])) }
        }
        for i in now where before[i.key] != i.hash { add(i.kind, i.name) }
        for r in recorded where !current.contains(r.key) { add(r.kind, r.name.isEmpty ? "removed" : "\(r.name) (removed)") }
        guard !byKind.isEmpty else { return nil }
        return byKind.map { g in
            let names = g.names.filter { !$0.isEmpty }
            return names.isEmpty ? "\(g.kind) changed" : "\(g.kind) changed: " + names.joined(separator: "; ")
        }.joined(separator: ", ")
    }
}
