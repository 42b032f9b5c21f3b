import Foundation
import Local
import YAML

/// The slim-bindings line of `status` on the local target: the version the running SLIM nodes
/// use (recorded when they started), else the one a deploy would install, and whether it is the
/// exact pairing for the SLIM release or only the nearest published one.
struct LocalBindingsStatus {
    var running: LocalState.Bindings?
    var planned: BindingsPairing?

    private var shown: (version: String, slim: String, match: BindingsPairing.Match, note: String)? {
        if let r = running { return (r.version, r.slimRelease, r.match, r.note) }
        if let p = planned { return (p.bindings, p.slimRelease, p.match, p.note) }
        return nil
    }

    /// The running nodes use another version than a deploy would now (e.g. after `--generation`).
    var outdated: Bool { running != nil && planned != nil && (running?.version != planned?.bindings || running?.slimRelease != planned?.slimRelease) }

    var line: String? {
        guard let s = shown else { return nil }
        let how = s.match == .exact ? "exact pairing for SLIM \(s.slim)" : "NEAREST pairing: SLIM \(s.slim) has no published slim-bindings"
        var text = "slim-bindings \(s.version) (\(how)\(running == nil ? "; used by the next deploy" : "")): \(s.note)"
        if outdated, let p = planned { text += "\n  the next deploy switches to slim-bindings \(p.bindings) for SLIM \(p.slimRelease)" }
        return text
    }

    var json: Value {
        guard let s = shown else { return .null }
        return .map([
            "version": .string(s.version), "slimRelease": .string(s.slim), "pairing": .string(s.match.rawValue),
            "note": .string(s.note), "running": .bool(running != nil),
            "nextDeploy": outdated ? planned.map { .string($0.bindings) } ?? .null : .null
        ])
    }
}
