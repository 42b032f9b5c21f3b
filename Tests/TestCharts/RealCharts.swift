import Foundation

/// The released SLIM and SPIRE charts the tests deploy: never copies of them in this repository.
/// Looked up in `SLIMCTL_CHARTS_DIR`, then `../shared/charts` beside the checkout, then
/// `.tools/charts` (where `scripts/fetch-charts.sh` pulls the same versions from the upstream
/// registries when neither exists). A test that finds none fails with the fix; it never skips.
public enum RealCharts {
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The charts every test matrix covers, by generation.
    public static let slim = ["1.4.0", "2.2.0"]
    public static let files = [
        "slim-1.4.0.tgz", "slim-2.2.0.tgz", "slim-control-plane-1.4.0.tgz", "slim-control-plane-2.2.0.tgz",
        "slim-spire-2.0.0.tgz", "spire-crds-0.5.0.tgz", "spire-0.26.0.tgz"
    ]

    /// The repository root, found from this file.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    public static func dir() throws -> String {
        var candidates: [String] = []
        if let e = ProcessInfo.processInfo.environment["SLIMCTL_CHARTS_DIR"], !e.isEmpty { candidates.append(e) }
        candidates += [(root as NSString).deletingLastPathComponent + "/shared/charts", "\(root)/.tools/charts"]
        for c in candidates where files.allSatisfy({ FileManager.default.fileExists(atPath: "\(c)/\($0)") }) { return c }
        throw Missing(
            description: "the released charts (\(files.joined(separator: ", "))) are in none of \(candidates.joined(separator: ", ")): "
                + "set SLIMCTL_CHARTS_DIR, or run scripts/fetch-charts.sh (helm pull from the upstream registries)")
    }

    public static func path(_ file: String) throws -> String { "\(try dir())/\(file)" }
}
