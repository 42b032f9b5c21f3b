import Testing
import YAML

@testable import Values

/// Merging between `-f` layers and coalescing over chart defaults, on hand-made values. The same
/// rules are checked against helm itself in HelmDifferentialTests.
@Suite struct MergeTests {
    func v(_ json: String) throws -> Value { try Value(json: json) }

    @Test func mergeIsDeepForMapsAndReplacesEverythingElse() throws {
        let base = try v(#"{"a":{"b":1,"c":{"d":2}},"l":[1,2,3],"s":"x","m":{"k":1}}"#)
        let over = try v(#"{"a":{"c":{"e":3}},"l":[9],"s":{"now":"map"},"m":null}"#)
        let got = Values.merge(base, over)
        #expect(got == (try v(#"{"a":{"b":1,"c":{"d":2,"e":3}},"l":[9],"s":{"now":"map"},"m":null}"#)))
    }

    @Test func mergeKeepsBaseKeyOrderAndAppendsNewKeys() throws {
        let got = Values.merge(try v(#"{"z":1,"a":2}"#), try v(#"{"m":3,"z":4}"#))
        #expect(got.mapValue.map { Array($0.keys) } == ["z", "a", "m"])
    }

    @Test func coalesceNullDeletesDefaultsAtEveryDepth() throws {
        let defaults = try v(#"{"image":{"repo":"nginx","tag":"1","pull":null},"top":1,"gone":{"x":1},"keepNull":null}"#)
        let user = try v(#"{"image":{"tag":null,"pull":null,"extra":null},"gone":null,"new":null}"#)
        let got = Values.coalesce(chartDefaults: defaults, user: user)
        // tag: default deleted; pull: null over null stays; extra: user null without default stays;
        // gone: deleted at top level; new: user null without default stays; keepNull: untouched default.
        #expect(got == (try v(#"{"image":{"repo":"nginx","pull":null,"extra":null},"top":1,"keepNull":null,"new":null}"#)))
    }

    @Test func coalesceTopLevelNullOverNullDefaultDeletes() throws {
        let got = Values.coalesce(chartDefaults: try v(#"{"a":null,"b":1}"#), user: try v(#"{"a":null}"#))
        #expect(got == (try v(#"{"b":1}"#)))
    }

    @Test func coalesceUserWinsOnKindMismatch() throws {
        let defaults = try v(#"{"a":{"x":1},"b":"s","c":{"d":{"e":1}}}"#)
        let user = try v(#"{"a":"scalar","b":{"now":"map"},"c":{"d":[1]}}"#)
        let got = Values.coalesce(chartDefaults: defaults, user: user)
        #expect(got == (try v(#"{"a":"scalar","b":{"now":"map"},"c":{"d":[1]}}"#)))
    }

    @Test func coalesceListsReplaceNotMerge() throws {
        let got = Values.coalesce(
            chartDefaults: try v(#"{"l":[1,2,3],"m":{"l":[{"a":1}]}}"#),
            user: try v(#"{"l":[],"m":{"l":[{"b":2}]}}"#))
        #expect(got == (try v(#"{"l":[],"m":{"l":[{"b":2}]}}"#)))
    }

    @Test func coalesceKeepsChartKeyOrder() throws {
        let got = Values.coalesce(chartDefaults: try v(#"{"b":1,"a":{"y":1,"x":2}}"#), user: try v(#"{"new":1,"a":{"z":0,"x":3}}"#))
        #expect(got.mapValue.map { Array($0.keys) } == ["b", "a", "new"])
        #expect(got["a"]?.mapValue.map { Array($0.keys) } == ["y", "x", "z"])
    }

    @Test func setKindsApplyInHelmOrderWhateverTheGivenOrder() throws {
        let sets: [(SetKind, String)] = [
            (.literal, "a=literal"), (.file, "b=f"), (.string, "a=string,b=string,c=string"),
            (.set, "a=1,b=1,c=1,d=1"), (.json, #"a="json",b="json",c="json",d="json",e="json""#)
        ]
        let got = try Values.compose(files: [], sets: sets) { _ in "file" }
        #expect(got == (try v(#"{"a":"literal","b":"file","c":"string","d":1,"e":"json"}"#)))
    }
}
