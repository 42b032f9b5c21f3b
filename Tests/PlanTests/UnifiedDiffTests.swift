import Plan
import Testing

@Suite struct UnifiedDiffs {
    func numbered(_ n: Int, replacing: [Int: String] = [:]) -> String {
        (1...n).map { replacing[$0] ?? String($0) }.joined(separator: "\n") + "\n"
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.diff(old: "a\nb\n", new: "a\nb\n") == nil)
        #expect(UnifiedDiff.diff(old: "", new: "") == nil)
        #expect(UnifiedDiff.diff(old: "a\nb", new: "a\nb\n") == nil, "a missing final newline is not a change")
    }

    @Test func oneChangedLineWithThreeLinesOfContext() {
        let d = UnifiedDiff.diff(old: numbered(10), new: numbered(10, replacing: [5: "five"]))
        #expect(
            d == """
                --- deployed
                +++ would deploy
                @@ -2,7 +2,7 @@
                 2
                 3
                 4
                -5
                +five
                 6
                 7
                 8

                """)
    }

    @Test func distantChangesAreSeparateHunksAndCloseOnesShareOne() {
        let far = UnifiedDiff.diff(old: numbered(20), new: numbered(20, replacing: [2: "two", 18: "eighteen"]))
        #expect(
            far == """
                --- deployed
                +++ would deploy
                @@ -1,5 +1,5 @@
                 1
                -2
                +two
                 3
                 4
                 5
                @@ -15,6 +15,6 @@
                 15
                 16
                 17
                -18
                +eighteen
                 19
                 20

                """)
        // Six unchanged lines between two changes: exactly two contexts, one hunk.
        let close = UnifiedDiff.diff(old: numbered(20), new: numbered(20, replacing: [5: "x", 12: "y"])) ?? ""
        #expect(close.components(separatedBy: "\n@@").count == 2, "\(close)")
        #expect(close.contains("@@ -2,14 +2,14 @@"), "\(close)")
    }

    @Test func insertionsAndDeletionsCountTheirSidesAsGNUDiffDoes() {
        #expect(UnifiedDiff.diff(old: "", new: "a\nb\n") == "--- deployed\n+++ would deploy\n@@ -0,0 +1,2 @@\n+a\n+b\n")
        #expect(UnifiedDiff.diff(old: "a\n", new: "") == "--- deployed\n+++ would deploy\n@@ -1 +0,0 @@\n-a\n")
        let added = UnifiedDiff.diff(old: "a\nb\nc\n", new: "a\nb\nnew\nc\n", oldLabel: "x", newLabel: "y", context: 1)
        #expect(added == "--- x\n+++ y\n@@ -2,2 +2,3 @@\n b\n+new\n c\n")
    }

    @Test func removalsComeBeforeInsertionsAtTheSamePlace() {
        let script = UnifiedDiff.lines(old: ["a", "b", "c"], new: ["a", "B", "c"])
        #expect(script == [.same("a"), .removed("b"), .added("B"), .same("c")])
    }

    /// Applying every hunk to the old text gives the new one, for many random edits.
    @Test func hunksApplyBackToTheNewText() throws {
        var rng = SplitMix(seed: 42)
        for _ in 0..<300 {
            let old = (0..<Int(rng.next() % 30)).map { _ in String("abcdef".randomElement(using: &rng) ?? "a") }
            var new = old
            for _ in 0..<Int(rng.next() % 6) {
                switch rng.next() % 3 {
                case 0 where !new.isEmpty: new.remove(at: Int(rng.next() % UInt64(new.count)))
                case 1: new.insert("n\(rng.next() % 9)", at: new.isEmpty ? 0 : Int(rng.next() % UInt64(new.count + 1)))
                default: if !new.isEmpty { new[Int(rng.next() % UInt64(new.count))] = "c\(rng.next() % 9)" }
                }
            }
            let text = { (l: [String]) in l.isEmpty ? "" : l.joined(separator: "\n") + "\n" }
            guard let d = UnifiedDiff.diff(old: text(old), new: text(new), context: Int(rng.next() % 4)) else {
                #expect(old == new)
                continue
            }
            #expect(try apply(d, to: old) == new, "\(old) → \(new)\n\(d)")
        }
    }

    /// A minimal `patch`: the hunks' `-`/` ` lines must match the old text where the header says.
    func apply(_ diff: String, to old: [String]) throws -> [String] {
        var out: [String] = []
        var at = 0
        let lines = diff.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).dropLast()
        for line in lines {
            if line.hasPrefix("@@") {
                let oldRange = line.split(separator: " ")[1].dropFirst().split(separator: ",")
                let start = Int(oldRange[0]) ?? 0
                let count = oldRange.count > 1 ? Int(oldRange[1]) ?? 1 : 1
                let begin = count == 0 ? start : start - 1
                out += old[at..<begin]
                at = begin
                continue
            }
            let body = String(line.dropFirst())
            switch line.first {
            case " ": #expect(old[at] == body); out.append(body); at += 1
            case "-": #expect(old[at] == body); at += 1
            case "+": out.append(body)
            default: throw UnifiedDiffTestFailure(line: String(line))
            }
        }
        return out + old[at...]
    }
}

struct UnifiedDiffTestFailure: Error { var line: String }

/// A seeded generator: the random cases are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
