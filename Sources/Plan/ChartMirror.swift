import Foundation

/// Where charts are fetched from when the public registries are out of reach (air-gapped
/// clusters, CI caches): a prefix of a chart reference or repository URL replaced by another,
/// as container runtimes' registry mirrors do for images. `ghcr.io/agntcy=registry.internal:5000/agntcy`
/// turns `oci://ghcr.io/agntcy/slim/helm/slim` into `oci://registry.internal:5000/agntcy/slim/helm/slim`;
/// `https://spiffe.github.io/helm-charts-hardened=http://charts.internal/spiffe` moves a classic repository.
public struct ChartMirror: Sendable, Hashable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var text: String
        public var description: String {
            "chart mirror `\(text)`: expected FROM=TO, e.g. ghcr.io/agntcy=registry.internal:5000/agntcy"
        }
    }

    /// `FROM=TO`; an `oci://` on either side is optional (references are compared without it).
    public static func parse(_ text: String) throws -> ChartMirror {
        guard let eq = text.firstIndex(of: "=") else { throw Invalid(text: text) }
        let from = strip(String(text[..<eq])), to = strip(String(text[text.index(after: eq)...]))
        guard !from.isEmpty, !to.isEmpty, !from.contains(" "), !to.contains(" ") else { throw Invalid(text: text) }
        return ChartMirror(from: from, to: to)
    }

    /// A comma-separated list, as in the `SLIMCTL_CHART_MIRROR` environment variable.
    public static func parseList(_ text: String) throws -> [ChartMirror] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { try parse(String($0)) }
    }

    static func strip(_ s: String) -> String {
        var s = s
        if s.hasPrefix("oci://") { s.removeFirst(6) }
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// The first mirror whose FROM is a whole-segment prefix of `ref` rewrites it; nil when none applies.
    public static func apply(_ mirrors: [ChartMirror], to ref: String) -> String? {
        let oci = ref.hasPrefix("oci://")
        let bare = oci ? String(ref.dropFirst(6)) : ref
        for m in mirrors where bare == m.from || bare.hasPrefix(m.from + "/") {
            return (oci ? "oci://" : "") + m.to + bare.dropFirst(m.from.count)
        }
        return nil
    }
}
