import Testing
import YAML

@testable import Values

/// A bad `--set` names the argument, the character and what was expected, for every error Helm's
/// strvals can raise. Helm rejects exactly these inputs too (checked live in HelmErrorTests).
@Suite struct SetErrorTests {
    static func error(_ kind: SetKind, _ expr: String, base: Value = .emptyMap) -> ValuesError? {
        do {
            _ = try Values.parseSet(expr, kind: kind, into: base) { path in
                throw ValuesError("no such file \(path)", at: .none)
            }
            return nil
        } catch let e as ValuesError {
            return e
        } catch {
            return nil
        }
    }

    @Test(arguments: [
        // expression, position, words the message must contain
        ("a", 2, "key \"a\" has no value"),
        ("a.b", 4, "key \"a.b\" has no value"),
        ("a,b=1", 2, "key \"a\" has no value"),
        ("a=1,,b=2", 5, "key \"\" has no value"),
        ("a.=1", 3, "key \"a.\" has no value"),
        ("a[x]=1", 3, "list index \"x\" is not a number"),
        ("a[-1]=1", 3, "list index -1 is negative"),
        ("a[0][-2]=1", 6, "list index -2 is negative"),
        ("a[70000]=1", 3, "larger than Helm's maximum of 65536"),
        ("a[99999999999999999999]=1", 3, "out of range"),
        ("a[0]x=1", 5, "unexpected \"x\" after list index \"a[0]\""),
        ("a={x,y", 3, "list is not closed"),
        ("name={{ .Release.Name }}", 25, "key \"}\" has no value")
    ])
    func setErrors(expr: String, position: Int, words: String) throws {
        let e = try #require(Self.error(.set, expr), "\(expr) should fail")
        #expect(e.location == .argument(kind: .set, expression: expr, position: position), "\(e)")
        #expect(e.message.contains(words), "\(e)")
        #expect(e.description.hasPrefix("--set \"\(expr.replacing("\\", with: "\\\\"))\": at character \(position): "), "\(e)")
    }

    @Test func typeConflicts() throws {
        let base = try Value(json: #"{"a":1,"l":[1,"x"],"n":null}"#)
        let toMap = try #require(Self.error(.set, "a.b=2", base: base))
        #expect(toMap.message == "cannot use \"a\" as a map: it is already a number")
        #expect(toMap.hint?.contains("set \"a\" itself first") == true)
        let toList = try #require(Self.error(.set, "a[0]=2", base: base))
        #expect(toList.message == "cannot use \"a\" as a list: it is already a number")
        let nullToMap = try #require(Self.error(.set, "n.x=1", base: base))
        #expect(nullToMap.message.contains("already null"))
        let nested = try #require(Self.error(.set, "l[1][0]=2", base: base))
        #expect(nested.message == "cannot use \"l[1]\" as a list: it is already a string")
        #expect(Self.error(.set, "l[1].k=2", base: base) == nil, "a scalar list element addressed with '.' becomes a map")
    }

    @Test func jsonErrors() throws {
        let bad = try #require(Self.error(.json, "a={\"b\":}"))
        #expect(bad.location == .argument(kind: .json, expression: "a={\"b\":}", position: 8))
        #expect(bad.message.hasPrefix("invalid JSON: expected a JSON value"))
        let word = try #require(Self.error(.json, "a=abc"))
        #expect(word.message.contains("found 'a'"))
        let whole = try #require(Self.error(.json, "{\"a\":1} x"))
        #expect(whole.message.contains("after the JSON value"))
        #expect(whole.location == .argument(kind: .json, expression: "{\"a\":1} x", position: 9))
    }

    @Test func fileErrorsNameThePath() throws {
        let e = try #require(Self.error(.file, "a=ca.pem"))
        #expect(e.message.hasPrefix("cannot read file \"ca.pem\""))
        #expect(e.location == .argument(kind: .file, expression: "a=ca.pem", position: 3))
    }

    @Test func literalErrors() throws {
        let e = try #require(Self.error(.literal, "abc"))
        #expect(e.message.contains("key \"abc\" has no value"))
        #expect(e.description.hasPrefix("--set-literal \"abc\": at character 4"))
    }
}
