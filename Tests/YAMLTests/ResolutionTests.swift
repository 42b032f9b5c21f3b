import Testing
import YAML

/// Each row was measured with helm v4.1.4 on a chart whose template is `{{ toJson .Values }}`
/// (values file `k: <scalar>`); Helm is the oracle for what a value means.
struct ResolutionTests {
    static let table: [(String, Value)] = [
        // YAML 1.1 booleans as go-yaml v2 reads them.
        ("yes", .bool(true)), ("Yes", .bool(true)), ("YES", .bool(true)), ("y", .bool(true)), ("Y", .bool(true)),
        ("on", .bool(true)), ("On", .bool(true)), ("ON", .bool(true)), ("true", .bool(true)), ("True", .bool(true)),
        ("TRUE", .bool(true)), ("no", .bool(false)), ("No", .bool(false)), ("NO", .bool(false)), ("n", .bool(false)),
        ("N", .bool(false)), ("off", .bool(false)), ("Off", .bool(false)), ("OFF", .bool(false)), ("false", .bool(false)),
        ("False", .bool(false)), ("FALSE", .bool(false)),
        ("oN", .string("oN")), ("yES", .string("yES")), ("nO", .string("nO")),
        // Nulls.
        ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("", .null), ("NuLL", .string("NuLL")),
        // Integers: Go strconv base 0 after removing underscores.
        ("0x1F", .int(31)), ("0x_1F", .int(31)), ("-0x1F", .int(-31)), ("+0x1F", .int(31)),
        ("012", .int(10)), ("-012", .int(-10)), ("0o17", .int(15)), ("0O17", .int(15)),
        ("0b101", .int(5)), ("0B1", .int(1)), ("0b_1", .int(1)), ("-0b11", .int(-3)),
        ("1_000", .int(1000)), ("1__0", .int(10)), ("-_1", .int(-1)), ("+_1", .int(1)), ("0_", .int(0)),
        ("+1", .int(1)), ("-0", .int(0)),
        ("9223372036854775807", .int(Int64.max)), ("-9223372036854775808", .int(Int64.min)),
        ("-0x8000000000000000", .int(Int64.min)),
        // Beyond Int64: uint64 then float64 in Helm.
        ("12345678901234567890", .float(12345678901234567890.0)),
        ("9223372036854775808", .float(9223372036854775808.0)),
        ("0xFFFFFFFFFFFFFFFF", .float(18446744073709551615.0)),
        ("-9223372036854775809", .float(-9223372036854775809.0)),
        ("100000000000000000000000", .float(1e23)),
        // Floats.
        ("1e3", .float(1000)), ("1E3", .float(1000)), ("1e+3", .float(1000)), ("1.0", .float(1)),
        ("0.", .float(0)), ("5.", .float(5)), ("+.5", .float(0.5)), ("-.5", .float(-0.5)), (".5", .float(0.5)),
        ("1.e3", .float(1000)), ("1.5e3", .float(1500)), ("08", .float(8)), ("09.5", .float(9.5)),
        ("1.5_0", .float(1.5)), ("1_0.5", .float(10.5)), (".5_0", .float(0.5)), ("1_000e3", .float(1_000_000)),
        ("1e-400", .float(0)), ("0.1", .float(0.1)), ("-0.0", .float(-0.0)),
        // Strings that look numeric but are not, for go-yaml v2.
        ("1:20", .string("1:20")), ("-1:20", .string("-1:20")), ("1:2:3", .string("1:2:3")),
        ("0x", .string("0x")), ("0o", .string("0o")), ("0b", .string("0b")), ("0x1p3", .string("0x1p3")),
        ("0x1F.5", .string("0x1F.5")), ("1e400", .string("1e400")), ("1e", .string("1e")), ("e3", .string("e3")),
        ("._5", .string("._5")), ("_1", .string("_1")), ("+", .string("+")),
        ("0x10000000000000000", .string("0x10000000000000000")),
        ("-0x8000000000000001", .string("-0x8000000000000001")),
        ("inf", .string("inf")), ("NaN", .string("NaN")), ("+inf", .string("+inf")),
        ("2001-12-14", .string("2001-12-14")), ("2001-12-14 21:59:43.10", .string("2001-12-14 21:59:43.10")),
        ("2001-12-14T21:59:43.10-05:00", .string("2001-12-14T21:59:43.10-05:00")), ("20011-12-14", .string("20011-12-14")),
        ("=", .string("=")), ("<<", .string("<<")),
        // Quoted scalars are strings.
        ("\"yes\"", .string("yes")), ("'1'", .string("1")), ("\"~\"", .string("~")), ("''", .string("")),
        // Explicit tags.
        ("!!str 5", .string("5")), ("!!int \"3\"", .int(3)), ("!!float 5", .float(5)), ("!!float \"1\"", .float(1)),
        ("!!float 1e3", .float(1000)), ("!!bool yes", .bool(true)), ("!!bool \"true\"", .bool(true)),
        ("!!int 0x10", .int(16)), ("!!null \"\"", .null), ("!!str", .string("")),
        ("!!timestamp 2001-12-14", .string("2001-12-14")), ("!!timestamp \"2001-12-14\"", .string("2001-12-14")),
        ("!!str 2001-12-14", .string("2001-12-14")),
        ("!!binary aGVsbG8=", .string("hello")), ("!!binary \"aGk=\"", .string("hi")), ("!!binary /w==", .string("\u{FFFD}")),
        ("!<tag:yaml.org,2002:int> \"7\"", .int(7)),
        ("!foo bar", .string("bar")), ("!foo 5", .string("5")), ("!foo true", .string("true")),
        ("! 5", .string("5")), ("! true", .string("true")),
        ("!!map {}", .emptyMap), ("!!str {x: 1}", .map(["x": .int(1)]))
    ]

    @Test(arguments: table)
    func scalar(_ text: String, _ expected: Value) throws {
        let v = try YAML.load("k: \(text)\n", file: "t.yaml")
        let got = v["k"]
        #expect(got == expected, "`\(text)` resolved to \(String(describing: got)), Helm sees \(expected)")
        if case .float(let d) = expected, d == 0 {
            #expect(
                got?.mapValue == nil && (got.map { if case .float(let g) = $0 { g.sign == d.sign } else { false } } ?? false),
                "sign of zero for `\(text)`")
        }
    }

    /// Helm refuses these (json: unsupported value, or go-yaml's own type check).
    static let errors: [(String, String)] = [
        (".inf", "infinite"), (".Inf", "infinite"), ("-.Inf", "infinite"), ("+.inf", "infinite"), (".INF", "infinite"),
        (".nan", "NaN"), (".NaN", "NaN"), (".NAN", "NaN"),
        ("!!int abc", "cannot decode !!str `abc` as a !!int"), ("!!bool 1", "cannot decode !!int `1` as a !!bool"),
        ("!!int 1.5", "cannot decode !!float `1.5` as a !!int"), ("!!null x", "cannot decode !!str `x` as a !!null"),
        ("!!timestamp abc", "cannot decode !!str `abc` as a !!timestamp"), ("!!int", "cannot decode !!null `` as a !!int"),
        ("!!binary \"!!!\"", "invalid base64")
    ]

    @Test(arguments: errors)
    func rejected(_ text: String, _ fragment: String) {
        do {
            let v = try YAML.load("k: \(text)\n", file: "t.yaml")
            Issue.record("`\(text)` loaded as \(v) but Helm rejects it")
        } catch let e as YAMLError {
            #expect(e.message.contains(fragment), "message was: \(e.message)")
            #expect(e.mark?.line == 1 && e.mark?.column == 4, "mark was \(String(describing: e.mark))")
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }

    /// Keys are resolved, then stringified as sigs.k8s.io/yaml does (measured with helm).
    static let keys: [(String, String)] = [
        ("n", "false"), ("y", "true"), ("on", "true"), ("1", "1"), ("0x10", "16"), ("1.5", "1.5"),
        ("3.14159265358979", "3.1415927"), ("2001-12-14", "2001-12-14"), ("1e3", "1000"), ("\"2\"", "2"),
        ("-0", "0"), ("0.1", "0.1"), ("1e20", "1e+20"), ("100000", "100000"), ("1e7", "1e+07"),
        ("123456789.0", "1.2345679e+08"), ("1e-7", "1e-07"), ("0.0001", "0.0001"), ("-0.0", "-0"),
        ("9223372036854775807", "9223372036854775807"), ("16777217.0", "1.6777216e+07"), ("1e21", "1e+21"),
        ("5e-324", "0"), ("1e-5", "1e-05"), (".inf", ".inf"), ("-.inf", "-.inf"), (".nan", ".nan"),
        ("!!float 1", "1"), ("!!str 5", "5"), ("!!binary aGk=", "hi"), ("\"\"", ""), ("'<<'", "<<"),
        ("\"y\"", "y"), ("1.25e2", "125"), ("-1.5", "-1.5"), ("0.000123", "0.000123"), ("999999.0", "999999"),
        ("1000000.0", "1e+06")
    ]

    @Test(arguments: keys)
    func key(_ text: String, _ expected: String) throws {
        let v = try YAML.load("\(text): x\n", file: "t.yaml")
        #expect(v.mapValue?.keys.elements == [expected])
    }

    @Test(arguments: ["~: 1", "null: 1", "? [1]\n: 2", "? {a: 1}\n: 2", "12345678901234567890: 1"])
    func badKeys(_ text: String) {
        #expect(throws: YAMLError.self) { try YAML.load(text, file: "t.yaml") }
    }

    @Test func duplicateKeysLastWins() throws {
        // Helm: {"a":2}; we also keep the first position.
        let v = try YAML.load("a: 1\nb: 0\na: 2\n", file: "t.yaml")
        #expect(v == .map(["a": .int(2), "b": .int(0)]))
        #expect(v.mapValue?.keys.elements == ["a", "b"])
        // `y` and `"y"` are different keys for Helm ("true" and "y").
        let w = try YAML.load("{y: 1, \"y\": 2}", file: "t.yaml")
        #expect(w == .map(["true": .int(1), "y": .int(2)]))
    }

    @Test func emptyAndNullDocuments() throws {
        #expect(try YAML.load("", file: "t.yaml") == .null)
        #expect(try YAML.load("~\n", file: "t.yaml") == .null)
        #expect(try YAML.load("# only a comment\n", file: "t.yaml") == .null)
        #expect(try YAML.loadAll("", file: "t.yaml") == [])
        #expect(try YAML.loadAll("---\n", file: "t.yaml") == [.null])
    }
}
