import Testing
import YAML

@testable import Values

/// Helm's strvals behaviour, case by case. Expected values are written as JSON; each case was
/// checked against the real helm binary (see HelmDifferentialTests for the live comparison).
@Suite struct SetParserTests {
    static func parse(
        _ kind: SetKind, _ exprs: [String], base: Value = .emptyMap,
        files: [String: String] = [:]
    ) throws -> Value {
        var v = base
        for e in exprs {
            v = try Values.parseSet(e, kind: kind, into: v) { path in
                guard let text = files[path] else { throw ValuesError("no such file", at: .none) }
                return text
            }
        }
        return v
    }

    static func expectParses(
        _ kind: SetKind, _ exprs: [String], _ json: String, base: Value = .emptyMap,
        files: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let got = try parse(kind, exprs, base: base, files: files)
        let want = try Value(json: json)
        #expect(
            got == want, "\(kind.flag) \(exprs) gave \(got.jsonString()), want \(want.jsonString())",
            sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        ("a=1", #"{"a":1}"#),
        ("a.b=1", #"{"a":{"b":1}}"#),
        ("a.b.c=x,a.b.d=y", #"{"a":{"b":{"c":"x","d":"y"}}}"#),
        ("a=1,b=2", #"{"a":1,"b":2}"#),
        ("a=1,", #"{"a":1}"#),
        ("a=", #"{"a":""}"#),
        ("a=,b=1", #"{"a":"","b":1}"#),
        ("a=null", #"{"a":null}"#),
        ("a=NULL,b=True,c=fAlSe", #"{"a":null,"b":true,"c":false}"#),
        ("a=0,b=-12,c=+5,d=-0", #"{"a":0,"b":-12,"c":5,"d":0}"#),
        ("a=010,b=1.5,c=1e3,d=0x1F,e=yes,f=1_000", #"{"a":"010","b":"1.5","c":"1e3","d":"0x1F","e":"yes","f":"1_000"}"#),
        ("a=9223372036854775807,b=9223372036854775808", #"{"a":9223372036854775807,"b":"9223372036854775808"}"#),
        ("a=1\\,2", #"{"a":"1,2"}"#),
        ("a\\.b=1", #"{"a.b":1}"#),
        ("a\\=b=1", #"{"a=b":1}"#),
        ("a=x\\y", #"{"a":"xy"}"#),
        ("a=x\\", #"{"a":"x"}"#),
        ("a={x,y,1}", #"{"a":["x","y",1]}"#),
        ("a={}", #"{"a":[""]}"#),
        ("a={x},b=2", #"{"a":["x"],"b":2}"#),
        ("a={x}b=2", #"{"a":["x"],"b":2}"#),
        ("a={x\\,y,z}", #"{"a":["x,y","z"]}"#),
        ("a[0]=x", #"{"a":["x"]}"#),
        ("a[2]=x", #"{"a":[null,null,"x"]}"#),
        ("a[0]=x,a[1]=y", #"{"a":["x","y"]}"#),
        ("a[1].b=x,a[0].c=y", #"{"a":[{"c":"y"},{"b":"x"}]}"#),
        ("a[0][1]=x", #"{"a":[[null,"x"]]}"#),
        ("a[0]={x,y}", #"{"a":[["x","y"]]}"#),
        ("a[0]=", #"{"a":[""]}"#),
        ("a[0]", #"{"a":[]}"#),
        ("a[+1]=x", #"{"a":[null,"x"]}"#),
        ("a.", #"{}"#),
        ("a[1", #"{}"#),
        ("b=2,a[1", #"{"b":2}"#),
        ("a[0][1", #"{"a":[]}"#),
        ("=1", #"{}"#),
        (".a=1", #"{}"#),
        ("", #"{}"#),
        ("name=\\{{ .Release.Name }}", #"{"name":"{{ .Release.Name }}"}"#),
        ("name=x-{{ .Values.a }}", #"{"name":"x-{{ .Values.a }}"}"#),
        ("k=héllo wörld ✓", #"{"k":"héllo wörld ✓"}"#),
        ("a=1 b=2", #"{"a":"1 b=2"}"#),
        ("a=x=y", #"{"a":"x=y"}"#),
        ("a=fal\u{017F}e", #"{"a":false}"#)
    ])
    func set(expr: String, json: String) throws {
        try Self.expectParses(.set, [expr], json)
    }

    @Test func setString() throws {
        try Self.expectParses(.string, ["a=1,b=true,c=null,d=,e={1,x}"], #"{"a":"1","b":"true","c":"null","d":"","e":["1","x"]}"#)
        try Self.expectParses(.string, ["a[1].b=010"], #"{"a":[null,{"b":"010"}]}"#)
    }

    @Test func setFile() throws {
        let files = ["cert.pem": "line1\nline2\n", "b.txt": "B"]
        try Self.expectParses(.file, ["a=cert.pem,b.c=b.txt"], #"{"a":"line1\nline2\n","b":{"c":"B"}}"#, files: files)
        try Self.expectParses(.file, ["a={cert.pem,b.txt}"], #"{"a":["line1\nline2\n","B"]}"#, files: files)
        try Self.expectParses(.file, ["a="], #"{"a":""}"#, files: files)
        #expect(throws: ValuesError.self) { try Self.parse(.file, ["a=missing.txt"], files: files) }
    }

    @Test func setJSON() throws {
        try Self.expectParses(.json, [#"a={"b":1,"c":[true,null,"x"]}"#], #"{"a":{"b":1,"c":[true,null,"x"]}}"#)
        try Self.expectParses(.json, ["a[0]=[1,2]"], #"{"a":[[1,2]]}"#)
        try Self.expectParses(.json, [#"a=1,b="x",c=null,d="#], #"{"a":1,"b":"x","c":null,"d":null}"#)
        try Self.expectParses(.json, ["a=1 b=2"], #"{"a":1,"b":2}"#)
        try Self.expectParses(.json, ["a=  ,b=1.5"], #"{"a":null,"b":1.5}"#)
        try Self.expectParses(.json, [#"a="\u00e9\n""#], #"{"a":"é\n"}"#)
        // A whole JSON object merges like a values file; key=value replaces.
        let base = try Value(json: #"{"a":{"x":1}}"#)
        try Self.expectParses(.json, [#" {"a":{"y":2}}"#], #"{"a":{"x":1,"y":2}}"#, base: base)
        try Self.expectParses(.json, [#"a={"y":2}"#], #"{"a":{"y":2}}"#, base: base)
    }

    @Test func setJSONNumbersAreFloat64() throws {
        let v = try Self.parse(.json, ["a=12345678901234567,b=1e2,c=0.5"])
        #expect(v["a"] == .int(12345678901234568))
        #expect(v["b"]?.semanticallyEquals(.int(100)) == true)
        #expect(v["c"] == .float(0.5))
    }

    @Test func setLiteral() throws {
        try Self.expectParses(.literal, ["a=1,b=2"], #"{"a":"1,b=2"}"#)
        try Self.expectParses(.literal, [#"a.b=x\,y{z}"#], #"{"a":{"b":"x\\,y{z}"}}"#)
        try Self.expectParses(.literal, ["a[1]=true"], #"{"a":[null,"true"]}"#)
        try Self.expectParses(.literal, ["a,b=null"], #"{"a,b":"null"}"#)
        try Self.expectParses(.literal, ["a="], #"{"a":""}"#)
    }

    @Test func setOverridesAndListsReplace() throws {
        let base = try Value(json: #"{"a":{"b":1,"c":[1,2,3]},"l":[{"x":1},{"y":2}]}"#)
        try Self.expectParses(.set, ["a.c={9}"], #"{"a":{"b":1,"c":[9]},"l":[{"x":1},{"y":2}]}"#, base: base)
        // Indexing into an existing list edits it in place; a map element gains keys.
        try Self.expectParses(.set, ["l[1].z=3"], #"{"a":{"b":1,"c":[1,2,3]},"l":[{"x":1},{"y":2,"z":3}]}"#, base: base)
        try Self.expectParses(.set, ["a.c[4]=5"], #"{"a":{"b":1,"c":[1,2,3,null,5]},"l":[{"x":1},{"y":2}]}"#, base: base)
        // A scalar element addressed with '.' is replaced by a fresh map (Helm: indices out of order).
        try Self.expectParses(.set, ["a.c[0].k=v"], #"{"a":{"b":1,"c":[{"k":"v"},2,3]},"l":[{"x":1},{"y":2}]}"#, base: base)
    }

    @Test func nestingLimit() throws {
        let ok = (0..<30).map { "k\($0)" }.joined(separator: ".") + ".last=1"
        #expect(throws: Never.self) { try Self.parse(.set, [ok]) }
        let tooDeep = (0..<31).map { "k\($0)" }.joined(separator: ".") + ".last=1"
        #expect(throws: ValuesError.self) { try Self.parse(.set, [tooDeep]) }
    }
}
