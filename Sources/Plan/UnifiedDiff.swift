/// Unified diffs (`diff -u` format) of two texts, line by line, from the standard library's
/// Myers difference (`CollectionDifference`). Pure: `slimctl diff` masks secrets before
/// handing text in, so nothing here needs to know what is secret.
public enum UnifiedDiff {
    /// One line of the edit script: kept (context), removed from `old`, or added from `new`.
    public enum Line: Equatable, Sendable {
        case same(String), removed(String), added(String)

        var text: String {
            switch self {
            case .same(let s): return " " + s
            case .removed(let s): return "-" + s
            case .added(let s): return "+" + s
            }
        }
        var isChange: Bool { if case .same = self { return false }; return true }
        var inOld: Bool { if case .added = self { return false }; return true }
        var inNew: Bool { if case .removed = self { return false }; return true }
    }

    /// The diff of `old` against `new` with `context` unchanged lines around each change, headed
    /// `--- oldLabel` / `+++ newLabel`; nil when the texts have the same lines. A missing final
    /// newline is not a difference: the texts compared are YAML that slimctl emitted.
    public static func diff(
        old: String, new: String, oldLabel: String = "deployed", newLabel: String = "would deploy",
        context: Int = 3
    ) -> String? {
        let script = lines(old: split(old), new: split(new))
        guard script.contains(where: \.isChange) else { return nil }
        var out = ["--- \(oldLabel)", "+++ \(newLabel)"]
        for h in hunks(script, context: max(0, context)) { out += h }
        return out.joined(separator: "\n") + "\n"
    }

    /// The texts' lines; a trailing newline ends the last line rather than starting an empty one.
    static func split(_ text: String) -> [String] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// The whole edit script in order: at each point, removals before insertions, as `diff -u` prints them.
    public static func lines(old: [String], new: [String]) -> [Line] {
        let difference = new.difference(from: old)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var script: [Line] = []
        var i = 0, j = 0
        while i < old.count || j < new.count {
            if i < old.count, removed.contains(i) {
                script.append(.removed(old[i])); i += 1
            } else if j < new.count, inserted.contains(j) {
                script.append(.added(new[j])); j += 1
            } else if i < old.count, j < new.count {
                script.append(.same(old[i])); i += 1; j += 1
            } else {
                // Unreachable for a consistent difference; keeps the loop total.
                if i < old.count { script.append(.removed(old[i])); i += 1 } else { script.append(.added(new[j])); j += 1 }
            }
        }
        return script
    }

    /// Changes closer than two contexts apart share a hunk, as in GNU diff.
    static func hunks(_ script: [Line], context: Int) -> [[String]] {
        let changes = script.indices.filter { script[$0].isChange }
        guard let first = changes.first else { return [] }
        var ranges: [ClosedRange<Int>] = []
        var start = first, end = first
        for c in changes.dropFirst() {
            if c - end - 1 > 2 * context { ranges.append(start...end); start = c }
            end = c
        }
        ranges.append(start...end)
        // Line numbers before each script position, in old and new.
        var oldBefore = [Int](repeating: 0, count: script.count + 1), newBefore = oldBefore
        for (k, line) in script.enumerated() {
            oldBefore[k + 1] = oldBefore[k] + (line.inOld ? 1 : 0)
            newBefore[k + 1] = newBefore[k] + (line.inNew ? 1 : 0)
        }
        return ranges.map { r in
            let lo = max(0, r.lowerBound - context), hi = min(script.count - 1, r.upperBound + context)
            let body = script[lo...hi]
            let oldCount = body.filter(\.inOld).count, newCount = body.filter(\.inNew).count
            let header = "@@ -\(range(start: oldBefore[lo], count: oldCount)) +\(range(start: newBefore[lo], count: newCount)) @@"
            return [header] + body.map(\.text)
        }
    }

    /// GNU's spelling: `3,4`; a single line without its count; an empty range names the line before it.
    static func range(start before: Int, count: Int) -> String {
        switch count {
        case 0: return "\(before),0"
        case 1: return "\(before + 1)"
        default: return "\(before + 1),\(count)"
        }
    }
}
