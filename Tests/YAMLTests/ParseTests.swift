import Testing
import YAML

struct ParseTests {
    @Test func marksOfNestedNodes() throws {
        let text = """
            top:
              list:
                - a
                - key: value
            other: "x"

            """
        let root = try YAML.parseDocument(text, file: "m.yaml")
        #expect(root.mark == Mark(file: "m.yaml", line: 1, column: 1))
        let list = try #require(root["top"]?["list"])
        #expect(list.mark.line == 3 && list.mark.column == 5)
        let items = try #require(list.items)
        #expect(items[0].mark.line == 3 && items[0].mark.column == 7)
        let pair = try #require(items[1].pairs?.first)
        #expect(pair.key.mark == Mark(file: "m.yaml", line: 4, column: 7))
        #expect(pair.value.mark == Mark(file: "m.yaml", line: 4, column: 12))
        #expect(root["other"]?.mark.column == 8)
        #expect(root["other"]?.scalarText == "x")
        #expect(root["missing"] == nil)
    }

    @Test func accessors() throws {
        let root = try YAML.parseDocument("a: ~\nb: [1]\nc: 'null'\nd:\n", file: "a.yaml")
        #expect(root["a"]?.isNull == true)
        #expect(root["b"]?.isNull == false)
        #expect(root["b"]?.items?.count == 1)
        #expect(root["c"]?.isNull == false)
        #expect(root["d"]?.isNull == true)
        #expect(root.pairs?.map { $0.key.scalarText } == ["a", "b", "c", "d"])
    }

    @Test func anchorsAndAliases() throws {
        let v = try YAML.load("base: &b {x: 1, l: [1, 2]}\ncopy: *b\nlist: [*b, &s str, *s]\n", file: "a.yaml")
        #expect(v["copy"] == v["base"])
        #expect(v["list"] == .list([v["base"] ?? .null, .string("str"), .string("str")]))
        // A redefined anchor applies from its redefinition on (Helm: z = 2).
        let w = try YAML.load("x: &x 1\ny: &x 2\nz: *x\n", file: "a.yaml")
        #expect(w["z"] == .int(2))
        // The alias node points at the alias, its children at the anchored content.
        let n = try YAML.parseDocument("a: &a {k: v}\nb: *a\n", file: "a.yaml")
        #expect(n["b"]?.mark.line == 2)
        #expect(n["b"]?["k"]?.mark.line == 1)
    }

    @Test func mergeKeys() throws {
        let v = try YAML.load(
            """
            b: &b {x: 1, v: 2}
            d: &d {x: 5, w: 6}
            after:
              <<: *b
              x: 9
            before:
              x: 9
              <<: *b
              z: 3
            list:
              <<: [*b, *d]
            inline:
              <<: {a: {p: 1}}
              a: {q: 2}
            quoted:
              "<<": {x: 1}

            """, file: "m.yaml")
        // Measured with helm v4.1.4: entries apply in order, later ones win.
        #expect(v["after"] == .map(["x": .int(9), "v": .int(2)]))
        #expect(v["before"] == .map(["x": .int(1), "v": .int(2), "z": .int(3)]))
        #expect(v["list"] == .map(["x": .int(1), "w": .int(6), "v": .int(2)]))
        #expect(v["inline"] == .map(["a": .map(["q": .int(2)])]))
        #expect(v["quoted"] == .map(["<<": .map(["x": .int(1)])]))
        // Consumers of nodes see the merged mapping too.
        let n = try YAML.parseDocument("b: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", file: "m.yaml")
        #expect(n["c"]?.pairs?.compactMap { $0.key.scalarText } == ["x", "y"])
        #expect(n["c"]?["x"]?.mark.line == 1)
    }

    @Test(arguments: ["c:\n  <<: [1]\n", "c:\n  <<: 5\n", "c:\n  <<: ~\n"])
    func mergeOfNonMapIsAnError(_ text: String) {
        #expect { try YAML.load(text, file: "m.yaml") } throws: { e in
            guard let e = e as? YAMLError else { return false }
            return e.message.contains("merge key") && e.mark?.line == 2
        }
    }

    @Test func multipleDocuments() throws {
        let docs = try YAML.parseDocuments("a: 1\n---\nb: 2\n---\n", file: "d.yaml")
        #expect(docs.count == 3)
        #expect(docs[1]["b"]?.mark.line == 3)
        #expect(docs[2].isNull)
        #expect(try YAML.loadAll("--- 1\n--- [x]\n...\n", file: "d.yaml") == [.int(1), .list([.string("x")])])
        // Anchors do not leak across documents.
        #expect(throws: YAMLError.self) { try YAML.parseDocuments("a: &x 1\n---\nb: *x\n", file: "d.yaml") }
    }

    @Test func secondDocumentIsAnErrorForParseDocument() {
        do {
            _ = try YAML.parseDocument("a: 1\n\n---\nb: 2\n", file: "v.yaml")
            Issue.record("accepted two documents")
        } catch let e as YAMLError {
            #expect(e.mark?.line == 3)
            #expect(e.description.hasPrefix("v.yaml:3:1: "))
            #expect(e.message.contains("line 3"))
        } catch { Issue.record("\(error)") }
    }

    /// (input, line, column, fragment of the message)
    static let malformed: [(String, Int, Int, String)] = [
        ("a:\n  b: 1\n c: 2\n", 3, 2, "did not find expected key"),
        ("a: \"unclosed\nb: 2\n", 1, 4, "unclosed quoted string"),
        ("a: 'unclosed\n", 1, 4, "unclosed quoted string"),
        ("a:\n\tb: 1\n", 2, 1, "tab"),
        ("a: *nope\n", 1, 4, "undefined anchor"),
        ("a: &s [*s]\n", 1, 8, "contains it"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
        ("a: [1, 2\n", 2, 1, "did not find expected ',' or ']'"),
        ("key: value\n- item\n", 2, 1, "did not find expected key"),
        ("a: - b\n", 1, 4, "list entry"),
        ("a: @x\n", 1, 4, "'@'"),
        ("a:\n  - b\n  c: d\n", 3, 3, "expected another '- ' entry of the list that started at line 2, column 3"),
        ("a: 'x' y\n", 1, 8, "text after a quoted value"),
        ("a: b\nc: \u{1}\n", 2, 4, "control characters are not allowed (found U+1)")
    ]

    @Test(arguments: malformed)
    func syntaxErrors(_ text: String, _ line: Int, _ column: Int, _ fragment: String) {
        do {
            let v = try YAML.load(text, file: "bad.yaml")
            Issue.record("accepted \(text.debugDescription) as \(v)")
        } catch let e as YAMLError {
            #expect(e.message.contains(fragment), "message: \(e.message)")
            #expect(e.mark?.line == line && e.mark?.column == column, "\(e)")
            #expect(e.description.hasPrefix("bad.yaml:\(line):\(column): "), "\(e)")
        } catch { Issue.record("\(error)") }
    }

    @Test func aliasBombIsRefused() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        #expect { try YAML.parseDocument(text, file: "bomb.yaml") } throws: { e in
            (e as? YAMLError)?.message.contains("alias bomb") == true
        }
        // Moderate reuse is fine.
        #expect((try? YAML.load("a: &a [1, 2]\nb: [*a, *a, *a]\n", file: "ok.yaml")) != nil)
    }

    @Test func deepNestingIsRefusedNotCrashing() {
        let text = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(throws: YAMLError.self) { try YAML.parseDocument(text, file: "deep.yaml") }
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? YAML.load(ok, file: "ok.yaml")) != nil)
    }

    @Test func utf8AndColumns() throws {
        let root = try YAML.parseDocument("é: ünï\nk: [日本, 語]\n", file: "u.yaml")
        #expect(root["é"]?.scalarText == "ünï")
        #expect(root["é"]?.mark.column == 4)
        #expect(root["k"]?.items?[1].mark.column == 9)
        // Reader errors come as byte offsets; the mark still counts characters.
        #expect { try YAML.parseDocument("é: ü\u{1}\n", file: "c.yaml") } throws: { e in
            (e as? YAMLError)?.mark == Mark(file: "c.yaml", line: 1, column: 5)
        }
    }
}
