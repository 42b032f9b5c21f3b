import Foundation
import OrderedCollections
import Strategy
import Values
import YAML

/// Values files for one release, as the user addressed them on the command line.
public struct UserLayers: Sendable {
    /// release name → layers (`-f`, `--set*`), in command-line order.
    public var byRelease: [String: [ValuesLayer]]
    public init(byRelease: [String: [ValuesLayer]] = [:]) { self.byRelease = byRelease }
}

public struct RenderedRelease: Sendable {
    public var step: String
    public var release: String
    public var namespace: String
    public var chart: ChartRef
    public var values: Value
    /// The file handed to `helm upgrade --install -f`: comment header plus `values` emitted.
    public var text: String
    /// True when a secret variable's value is inside: the file is written 0600.
    public var holdsSecret: Bool
    /// Each layer's own values, in order, named as the user knows it (file path, `--set …`), so a
    /// value helm ignores can be traced to the layer that set it.
    public var layers: [ValuesSource] = []
    public var fileName: String { "\(release).values.yaml" }

    /// The last layer that sets `path`: the one whose value helm saw.
    public func origin(of path: [String]) -> ValuesSource? {
        layers.last { $0.values.lookup(path) != nil }
    }
}

public struct ValuesSource: Sendable {
    public var name: String
    public var values: Value
    /// How a re-run names this layer when it changed: the file's name, or the flag with the
    /// paths it sets (`--set image.tag`), never a value, since a value may be secret.
    public var label: String

    public init(name: String, values: Value, label: String? = nil) {
        self.name = name
        self.values = values
        self.label = label ?? name
    }

    /// `--set a.b,c`: the paths one user layer sets, the first few of them.
    static func label(_ layer: ValuesLayer, values: Value) -> String {
        switch layer.source {
        case .file(let path, _): return "-f " + (path as NSString).lastPathComponent
        case .set(let kind, _):
            let paths = leafPaths(values)
            return kind.flag + " " + (paths.count > 3 ? paths.prefix(3).joined(separator: ",") + ",…" : paths.joined(separator: ","))
        }
    }

    static func leafPaths(_ v: Value, prefix: String = "") -> [String] {
        guard case .map(let m) = v, !m.isEmpty else { return prefix.isEmpty ? [] : [prefix] }
        return m.flatMap { k, x in leafPaths(x, prefix: prefix.isEmpty ? k : prefix + "." + k) }
    }
}

public struct RenderedManifests: Sendable {
    public var step: String
    public var app: TestApp?
    public var namespace: String
    public var objects: [Value]
    public var holdsSecret: Bool
}

/// Everything a strategy turns into before anything runs: per-release values, manifests, the
/// kind cluster config. Pure: file contents come in as a dictionary.
public struct Rendered: Sendable {
    public var strategy: Strategy
    public var variables: [String: String]
    public var secrets: [String: String]
    public var releases: [RenderedRelease]
    public var manifests: [RenderedManifests]
    public var kindConfig: String

    public func release(forStep step: String) -> RenderedRelease? { releases.first { $0.step == step } }
    public func manifests(forStep step: String) -> RenderedManifests? { manifests.first { $0.step == step } }
    public var redactor: Redactor { Redactor(secrets: secrets) }
}

public struct RenderError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum Renderer {
    /// - Parameters:
    ///   - files: resolved path → text for every values file and manifest the strategy names.
    ///   - readFile: for `--set-file`.
    public static func render(
        strategy: Strategy, variables: VariableResolver.Resolved, files: [String: String],
        user: UserLayers = UserLayers(),
        readFile: (String) throws -> String = Values.noFileReader
    ) throws -> Rendered {
        let vars = variables.values
        var secrets = variables.secrets
        let releaseNames = strategy.helmReleases.map(\.release.release)
        for name in user.byRelease.keys.sorted() where !releaseNames.contains(name) {
            throw RenderError(
                "values were given for release `\(name)`, which strategy `\(strategy.name)` does not have; "
                    + Suggest.didYouMean(name, in: releaseNames))
        }
        var releases: [RenderedRelease] = []
        for (step, rel) in strategy.helmReleases {
            var layers: [(path: String, text: String)] = []
            var sources: [ValuesSource] = []
            for ref in rel.valuesFiles {
                guard let text = files[ref.resolved] else {
                    throw RenderError("\(ref.mark): values file `\(ref.path)` was not found (looked for \(ref.resolved))")
                }
                let layer = (ref.resolved, try substituteValuesFile(text, path: ref.resolved, vars: vars))
                layers.append(layer)
                sources.append(
                    ValuesSource(
                        name: ref.resolved, values: try Values.compose(files: [layer], sets: []),
                        label: (ref.resolved as NSString).lastPathComponent))
            }
            var base = try Values.compose(files: layers, sets: [])
            // The strategy's own `set:` entries belong to the strategy layer: user -f files may override them.
            for (path, value) in rel.set {
                let v = nest(path: path, value: value)
                base = Values.merge(base, v)
                sources.append(ValuesSource(name: "\(rel.mark.file): `set: \(path)` of step `\(step.name)`", values: v, label: "strategy set \(path)"))
            }
            let userLayers = user.byRelease[rel.release] ?? []
            for layer in userLayers {
                let userValues = try Values.compose([layer], readFile: readFile)
                sources.append(
                    ValuesSource(
                        name: layer.commandLine.joined(separator: " "), values: userValues,
                        label: ValuesSource.label(layer, values: userValues)))
            }
            if !userLayers.isEmpty {
                base = try Values.compose(userLayers, base: base, readFile: readFile)
            }
            let body = YAML.emit(base)
            let valueSecrets = SecretValues.find(in: base)
            for (path, value) in valueSecrets where value.count >= SecretValues.minimumMaskedLength {
                secrets["\(rel.release):\(path)"] = value
            }
            let secret = !valueSecrets.isEmpty || variables.secrets.values.contains { !$0.isEmpty && body.contains($0) }
            var header = "# Rendered by slimctl: strategy \(strategy.name), release \(rel.release) (step \(step.name)).\n"
            header +=
                "# Layers: "
                + (rel.valuesFiles.map(\.path) + (rel.set.isEmpty ? [] : ["strategy set"])
                + userLayers.map { $0.commandLine.joined(separator: " ") }).joined(separator: ", ") + "\n"
            releases.append(
                RenderedRelease(
                    step: step.name, release: rel.release, namespace: rel.namespace, chart: rel.chart,
                    values: base, text: header + body, holdsSecret: secret, layers: sources))
        }
        let manifests = try renderManifests(strategy, variables: variables, files: files)
        return Rendered(
            strategy: strategy, variables: vars, secrets: secrets, releases: releases,
            manifests: manifests, kindConfig: KindConfig.render(strategy.cluster))
    }

    /// The objects of each manifests step, placeholders substituted; a step whose files name a
    /// secret variable is marked so its rendered text is never shown unmasked.
    static func renderManifests(
        _ strategy: Strategy, variables: VariableResolver.Resolved, files: [String: String]
    ) throws -> [RenderedManifests] {
        let vars = variables.values
        var manifests: [RenderedManifests] = []
        for step in strategy.steps {
            guard case .manifests(let set) = step.action else { continue }
            var objects: [Value] = []
            var secret = false
            for ref in set.files {
                guard let text = files[ref.resolved] else {
                    throw RenderError("\(ref.mark): manifest `\(ref.path)` was not found (looked for \(ref.resolved))")
                }
                if variables.secrets.keys.contains(where: { text.contains("((\($0)))") }) { secret = true }
                for node in try YAML.parseDocuments(text, file: ref.resolved) {
                    let value = try Placeholders.substitute(node, vars).resolve()
                    if value.isNull { continue }
                    guard value["kind"]?.stringValue != nil, value["apiVersion"]?.stringValue != nil else {
                        throw RenderError("\(node.mark): a manifest needs `apiVersion` and `kind`")
                    }
                    objects.append(value)
                }
            }
            manifests.append(RenderedManifests(step: step.name, app: set.app, namespace: set.namespace, objects: objects, holdsSecret: secret))
        }
        return manifests
    }

    /// `((var))` in a values file is replaced inside scalars (never as raw text), so a value with
    /// YAML syntax in it stays one string.
    static func substituteValuesFile(_ text: String, path: String, vars: [String: String]) throws -> String {
        guard text.contains("((") else { return text }
        let docs = try YAML.parseDocuments(text, file: path)
        let values = try docs.map { try Placeholders.substitute($0, vars).resolve() }
        return YAML.emitAll(values)
    }

    /// `a.b.c` → {a: {b: {c: value}}}; `\.` keeps a literal dot, as in Helm paths.
    static func nest(path: String, value: Value) -> Value {
        var parts: [String] = []
        var cur = ""
        var escape = false
        for ch in path {
            if escape { cur.append(ch); escape = false; continue }
            if ch == "\\" { escape = true; continue }
            if ch == "." { parts.append(cur); cur = ""; continue }
            cur.append(ch)
        }
        parts.append(cur)
        var v = value
        for p in parts.reversed() { v = .map([p: v]) }
        return v
    }
}
