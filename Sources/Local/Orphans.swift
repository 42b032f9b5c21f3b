import Foundation
import Tools

/// Every process the local target starts carries its state folder (and component) in its
/// environment. A process started but not yet recorded when a signal (even SIGKILL) ended
/// `deploy` is still found by that mark, so `delete` and the next `deploy` stop it instead of
/// leaving it running for ever. The environment, unlike the command line, is readable only by
/// the process's own user.
public enum Orphans {
    public static let stateVariable = "SLIMCTL_LOCAL_STATE"
    public static let componentVariable = "SLIMCTL_LOCAL_COMPONENT"

    /// The marks a process of `component` started for `stateDir` gets.
    public static func marks(stateDir: String, component: String) -> [String: String] {
        [stateVariable: stateDir, componentVariable: component]
    }

    /// Process groups with a member marked for `stateDir` (and one of `components`, when given)
    /// whose group leader is not in `known`.
    public static func find(stateDir: String, components: Set<String>? = nil, known: Set<Int32>) -> [Int32] {
        let me = getpid()
        var groups = Set<Int32>()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != me, let env = environment(of: pid),
                env[stateVariable] == stateDir
            else { continue }
            if let components, !components.contains(env[componentVariable] ?? "") { continue }
            let group = getpgid(pid)
            let leader = group > 1 ? group : pid
            if !known.contains(leader) && !known.contains(pid) { groups.insert(leader) }
        }
        return groups.sorted()
    }

    /// Stops the orphans found; returns their group ids.
    @discardableResult
    public static func stop(stateDir: String, components: Set<String>? = nil, known: Set<Int32>) -> [Int32] {
        let found = find(stateDir: stateDir, components: components, known: known)
        if !found.isEmpty { Spawn.terminateGroups(found, grace: .seconds(5)) }
        return found
    }

    static func environment(of pid: Int32) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ"), !data.isEmpty else { return nil }
        var out: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let s = String(decoding: entry, as: UTF8.self)
            guard let eq = s.firstIndex(of: "=") else { continue }
            let key = String(s[..<eq])
            if key == stateVariable || key == componentVariable { out[key] = String(s[s.index(after: eq)...]) }
        }
        return out
    }
}
