import OrderedCollections
import Testing
import YAML

@testable import Values

/// General laws of Helm's merge and coalesce, over seeded random values.
@Suite struct MergePropertyTests {
    /// A small deterministic generator (SplitMix64) so failures reproduce.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func randomValue(_ r: inout Rng, depth: Int) -> Value {
        switch r.below(depth > 2 ? 4 : 6) {
        case 0: return .null
        case 1: return .int(Int64(r.below(5)))
        case 2: return .string(["a", "b", ""][r.below(3)])
        case 3: return .bool(r.below(2) == 0)
        case 4: return .list((0..<r.below(3)).map { _ in randomValue(&r, depth: depth + 1) })
        default: return randomMap(&r, depth: depth + 1)
        }
    }

    static func randomMap(_ r: inout Rng, depth: Int) -> Value {
        var m: OrderedDictionary<String, Value> = [:]
        for _ in 0..<r.below(4) { m[["k", "l", "m", "n"][r.below(4)]] = randomValue(&r, depth: depth) }
        return .map(m)
    }

    static func keys(_ v: Value) -> Set<String> { Set(v.mapValue?.keys ?? []) }

    @Test func laws() {
        var r = Rng(state: 20_240_611)
        for _ in 0..<2000 {
            let a = Self.randomMap(&r, depth: 0), b = Self.randomMap(&r, depth: 0)
            // Empty layers change nothing; a layer merged onto itself is itself.
            #expect(Values.merge(a, .emptyMap) == a)
            #expect(Values.merge(.emptyMap, a) == a)
            #expect(Values.merge(a, a) == a)
            // The overlay's non-map values always win; every key of either side survives a merge.
            let m = Values.merge(a, b)
            #expect(Self.keys(m) == Self.keys(a).union(Self.keys(b)))
            for (k, v) in b.mapValue ?? [:] where v.mapValue == nil { #expect(m[k] == v) }
            // Coalescing onto no defaults is the identity; no user values gives the defaults.
            #expect(Values.coalesce(chartDefaults: .emptyMap, user: a) == a)
            #expect(Values.coalesce(chartDefaults: a, user: .emptyMap) == a)
            // A user null never survives at the top over a default, and never where a default was non-null.
            let c = Values.coalesce(chartDefaults: a, user: b)
            for (k, v) in b.mapValue ?? [:] where v.isNull && a[k] != nil { #expect(c[k] == nil) }
        }
    }
}
