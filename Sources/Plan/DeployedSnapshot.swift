import Foundation
import YAML

/// What a finished step handed to its target (a release's values, a manifests step's objects),
/// kept in the state folder (0600) so that `slimctl diff` compares against what was deployed,
/// not against the last render. The secret values it held are kept with it: a secret that has
/// changed since must be masked in the deployed text too, and only the snapshot knows it.
public struct DeployedSnapshot: Codable, Sendable, Equatable {
    /// YAML, as slimctl emitted it (no header: comments are not part of what a step deploys).
    public var text: String
    /// Secret name → value, only those whose value occurs in `text`.
    public var secrets: [String: String]

    public init(text: String, secrets: [String: String]) {
        self.text = text
        self.secrets = secrets.filter { !$0.value.isEmpty && text.contains($0.value) }
    }

    /// JSON, as the engine writes it beside the step records.
    public var encoded: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return (try? e.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    public static func decode(_ data: Data) -> DeployedSnapshot? { try? JSONDecoder().decode(DeployedSnapshot.self, from: data) }

    /// The snapshot of a helm step: its release's values.
    public static func values(_ r: RenderedRelease, secrets: [String: String]) -> DeployedSnapshot {
        DeployedSnapshot(text: YAML.emit(r.values), secrets: secrets)
    }

    /// The snapshot of a manifests step: its objects, in order.
    public static func manifests(_ m: RenderedManifests, secrets: [String: String]) -> DeployedSnapshot {
        DeployedSnapshot(text: YAML.emitAll(m.objects), secrets: secrets)
    }
}
