import Foundation

/// Which slim-bindings release (from PyPI) the local target runs for a SLIM release. The local
/// target has no SLIM image: its nodes and test apps are the bindings' embedded data plane and
/// examples, so the version must follow the SLIM release the strategy deploys, and a release
/// without a published twin must be said, never swapped silently.
///
/// How the table was made: upstream tags `slim-vX`, `slim-version-vX` and `slim-bindings-vX`
/// point at one commit per release (bindings and data plane are versioned from one workspace);
/// PyPI is what can be installed. SLIM 2.3.0's twin (`slim-bindings-v2.3.0`) was never published.
public struct BindingsPairing: Sendable, Equatable {
    public enum Match: String, Sendable, Codable {
        /// The bindings embed this SLIM release's data plane.
        case exact
        /// No published bindings embed it: the closest older release that does runs instead.
        case nearest
    }

    /// The SLIM release (image tag of `ghcr.io/agntcy/slim`).
    public var slimRelease: String
    /// The slim-bindings version installed for it (node runtime and example apps).
    public var bindings: String
    public var match: Match
    /// Why this version, in one line, for `plan`, `status` and the docs.
    public var note: String
    /// Whether this data plane has `services.<id>.peers` (static full mesh between nodes). Without
    /// it nodes only route to each other through the SLIM controller, which does not run locally.
    public var staticPeers: Bool

    /// One line for plan notices, progress and status.
    public var summary: String {
        switch match {
        case .exact: return "slim-bindings \(bindings) (exact pairing for SLIM \(slimRelease)): \(note)"
        case .nearest: return "slim-bindings \(bindings) (NEAREST pairing: SLIM \(slimRelease) has no published slim-bindings): \(note)"
        }
    }

    public static let table: [BindingsPairing] = [
        BindingsPairing(
            slimRelease: "1.4.0", bindings: "1.4.1", match: .exact,
            note: "1.4.1 is SLIM 1.4.0's data plane with a bindings-only fix (a deadlock of the embedded runtime on one core); the 1.4 test image pins it",
            staticPeers: false),
        BindingsPairing(
            slimRelease: "2.0.0", bindings: "2.0.0", match: .exact,
            note: "tags slim-v2.0.0 and slim-bindings-v2.0.0 are one commit", staticPeers: true),
        BindingsPairing(
            slimRelease: "2.1.0", bindings: "2.1.0", match: .exact,
            note: "tags slim-v2.1.0 and slim-bindings-v2.1.0 are one commit", staticPeers: true),
        BindingsPairing(
            slimRelease: "2.1.1", bindings: "2.1.1", match: .exact,
            note: "tags slim-v2.1.1 and slim-bindings-v2.1.1 are one commit", staticPeers: true),
        BindingsPairing(
            slimRelease: "2.2.0", bindings: "2.2.0", match: .exact,
            note: "tags slim-v2.2.0 and slim-bindings-v2.2.0 are one commit", staticPeers: true),
        BindingsPairing(
            slimRelease: "2.3.0", bindings: "2.2.0", match: .nearest,
            note: "slim-bindings 2.3.0 (SLIM 2.3.0's twin) is not on PyPI; 2.2.0 is the newest 2.x there (the generation-2 test image installs it too)",
            staticPeers: true)
    ]

    /// App versions of the slim chart releases (`appVersion` in each `helm-slim-vX` tag's
    /// Chart.yaml), for a release whose values set no `slim.image.tag`.
    public static let chartAppVersions: [String: String] = [
        "1.4.0": "1.4.0", "1.5.0": "2.0.0-alpha.2", "2.0.0": "2.0.0", "2.1.0": "2.1.0", "2.2.0": "2.3.0"
    ]

    public struct Unsupported: Error, CustomStringConvertible, Sendable {
        public var slimRelease: String
        public var origin: String
        public var description: String {
            "SLIM \(slimRelease) (\(origin)): the local target runs SLIM through slim-bindings from PyPI and has no pairing for this release; "
                + "it can run SLIM " + BindingsPairing.table.map { "\($0.slimRelease) (slim-bindings \($0.bindings))" }.joined(separator: ", ")
                + ". Choose one of these (e.g. --var slimTag=\(BindingsPairing.table.last?.slimRelease ?? "")) or another target"
        }
    }

    /// The pairing for a SLIM release; `origin` says where the release came from, for the error.
    public static func forRelease(_ release: String, origin: String) throws -> BindingsPairing {
        let v = release.hasPrefix("v") ? String(release.dropFirst()) : release
        guard let p = table.first(where: { $0.slimRelease == v }) else { throw Unsupported(slimRelease: release, origin: origin) }
        return p
    }

    /// Every bindings version the table can install, oldest first.
    public static var versions: [String] {
        var seen: [String] = []
        for p in table where !seen.contains(p.bindings) { seen.append(p.bindings) }
        return seen
    }
}
