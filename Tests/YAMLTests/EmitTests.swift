import OrderedCollections
import Testing
import YAML

struct EmitTests {
    @Test func layout() throws {
        let v: Value = .map([
            "name": .string("slim"),
            "replicas": .int(3),
            "ratio": .float(1),
            "on": .bool(true),
            "nothing": .null,
            "empty": .map([:]),
            "none": .list([]),
            "list": .list([.string("a"), .map(["k": .int(1), "l": .list([.int(2)])]), .list([.int(1), .int(2)])]),
            "nested": .map(["deep": .map(["x": .string("yes")])]),
            "script": .string("line1\nline2\n"),
            "tpl": .string("{{ .Values.x }}")
        ])
        let expected = """
            name: slim
            replicas: 3
            ratio: 1.0
            'on': true
            nothing: null
            empty: {}
            none: []
            list:
            - a
            - k: 1
              l:
              - 2
            - - 1
              - 2
            nested:
              deep:
                x: 'yes'
            script: |
              line1
              line2
            tpl: '{{ .Values.x }}'

            """
        #expect(YAML.emit(v) == expected)
        #expect(try YAML.load(expected, file: "e.yaml") == v)
    }

    static let quoted = [
        "true", "yes", "y", "n", "on", "off", "Off", "~", "null", "", "1.0", "0x1F", "012", "1_000",
        "1e3", ".inf", " lead", "trail ", "*star", "&amp", "!bang", "|pipe", ">gt", "%pct", "@at",
        "`tick", "- dash", "-", "? q", "?", ": c", ":", "a #b", "a: b", "[x", "{x", "]x", "}x", ",x",
        "<<", "1:20", "---", "--- x", "...", "2001-12-14", "a:", "#x", "'q", "\"q", "08", "+1", "-.5"
    ]

    @Test(arguments: quoted)
    func quotesWhatWouldChange(_ s: String) throws {
        let text = YAML.emit(.map([s: .string(s)]))
        #expect(text.first == "'" || text.first == "\"", "emitted: \(text)")
        #expect(try YAML.load(text, file: "e.yaml") == .map([s: .string(s)]), "emitted: \(text)")
    }

    static let plain = ["slim", "-foo", "--config", "a-b", "hello world", "a#b", "a:b", "ünïcödé", "日本語", "yES", "0x", "x:y"]

    @Test(arguments: plain)
    func leavesPlainTextAlone(_ s: String) throws {
        #expect(YAML.emit(.string(s)) == s + "\n")
    }

    static let escaped: [String] = ["tab\there", "nul\u{0}", "bell\u{7}", "del\u{7F}", "nel\u{85}", "ls\u{2028}", "bom\u{FEFF}", "cr\r\nlf", "c1\u{9B}"]

    @Test(arguments: escaped)
    func escapesNonPrintables(_ s: String) throws {
        let text = YAML.emit(.map(["k": .string(s)]))
        #expect(text.hasPrefix("k: \""), "emitted: \(text)")
        #expect(text.utf8.allSatisfy { $0 == 10 || (0x20..<0x7F).contains($0) || $0 >= 0x80 }, "raw control byte in: \(text)")
        #expect(try YAML.load(text, file: "e.yaml")["k"] == .string(s))
    }

    @Test func chomping() throws {
        #expect(YAML.emit(.map(["k": .string("a\nb")])) == "k: |-\n  a\n  b\n")
        #expect(YAML.emit(.map(["k": .string("a\nb\n")])) == "k: |\n  a\n  b\n")
        #expect(YAML.emit(.map(["k": .string("a\nb\n\n")])) == "k: |+\n  a\n  b\n\n")
        #expect(YAML.emit(.map(["k": .string("  a\nb")])) == "k: |2-\n    a\n  b\n")
        #expect(YAML.emit(.map(["k": .string("\n")])) == "k: \"\\n\"\n")
        for s in ["a\nb", "a\nb\n", "a\nb\n\n", "  a\nb", "\n\na", "a\n\n\nb\n", "\t\tx\ny", "\n  x", "x\n  \n", "- a\n- b"] {
            let v = Value.map(["k": .string(s), "l": .list([.string(s)])])
            #expect(try YAML.load(YAML.emit(v), file: "e.yaml") == v, "\(YAML.emit(v))")
            #expect(try YAML.load(YAML.emit(.string(s)), file: "e.yaml") == .string(s), "\(YAML.emit(.string(s)))")
        }
    }

    @Test func floatsReadBackIdentically() throws {
        for d in [0.1, 1.0, -0.0, 1e20, 1e-7, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 123456789.123, 1.0 / 3.0, 2e16] {
            let text = YAML.emit(.float(d))
            let back = try YAML.load(text, file: "e.yaml")
            guard case .float(let r) = back else { Issue.record("\(d) emitted as \(text) read back as \(back)"); continue }
            #expect(r.bitPattern == d.bitPattern, "\(d) emitted as \(text)")
        }
        #expect(YAML.emit(.float(.infinity)) == ".inf\n")
    }

    @Test func multipleDocuments() throws {
        let docs: [Value] = [.map(["a": .int(1)]), .string("x"), .null, .list([.bool(false)])]
        let text = YAML.emitAll(docs)
        #expect(text == "a: 1\n---\nx\n---\nnull\n---\n- false\n")
        #expect(try YAML.loadAll(text, file: "e.yaml") == docs)
    }

    @Test func longKeysUseExplicitForm() throws {
        let key = String(repeating: "k", count: 1500)
        let v = Value.map([key: .list([.int(1)])])
        let text = YAML.emit(v)
        #expect(text.hasPrefix("? "))
        #expect(try YAML.load(text, file: "e.yaml") == v)
    }
}
