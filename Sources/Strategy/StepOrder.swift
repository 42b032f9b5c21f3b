/// Dependency order of steps: the file order wherever `needs` allows it, so plans read the way
/// the strategy was written.
public enum StepOrder {
    /// A cycle as step names (first repeated at the end), or nil.
    public static func findCycle(_ steps: [Step]) -> [String]? {
        let byName = Dictionary(steps.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ n: String) -> [String]? {
            if state[n] == 2 { return nil }
            if state[n] == 1 {
                guard let i = stack.firstIndex(of: n) else { return [n, n] }
                return Array(stack[i...]) + [n]
            }
            state[n] = 1
            stack.append(n)
            for d in byName[n]?.needs ?? [] where byName[d] != nil {
                if let c = visit(d) { return c }
            }
            stack.removeLast()
            state[n] = 2
            return nil
        }
        for s in steps { if let c = visit(s.name) { return c } }
        return nil
    }

    /// Stable topological order (Kahn's algorithm choosing the earliest-declared ready step).
    public static func ordered(_ steps: [Step]) -> [Step] {
        var remaining = steps
        var done = Set<String>()
        var out: [Step] = []
        while !remaining.isEmpty {
            guard let i = remaining.firstIndex(where: { $0.needs.allSatisfy { done.contains($0) || !steps.map(\.name).contains($0) } }) else {
                out.append(contentsOf: remaining)  // a cycle; the loader reports it
                break
            }
            let s = remaining.remove(at: i)
            done.insert(s.name)
            out.append(s)
        }
        return out
    }

    /// Every step that (transitively) depends on `name`, for `--from`.
    public static func dependents(of name: String, in steps: [Step]) -> Set<String> {
        var out: Set<String> = []
        var changed = true
        while changed {
            changed = false
            for s in steps where !out.contains(s.name) && s.needs.contains(where: { $0 == name || out.contains($0) }) {
                out.insert(s.name)
                changed = true
            }
        }
        return out
    }
}
