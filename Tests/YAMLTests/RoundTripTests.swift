import Testing
import YAML

struct RoundTripTests {
    /// Inputs that exercise resolution, styles and structure; each must survive load → emit → load
    /// unchanged, and emitting must be a fixed point.
    static let corpus: [String] = [
        "a: yes\nb: 'yes'\nc: \"on\"\nd: ~\ne: ''\nf: 0x1F\ng: '0x1F'\nh: 012\ni: 1_000\nj: 1e3\n",
        "k: |\n  line one\n  line two\nl: >\n  folded\n  text\n\n  para\nm: |-\n  no newline\nn: |+\n  keep\n\n\n",
        "list:\n- a\n- - nested\n  - list\n- {x: 1, y: [1, 2]}\n- []\n- {}\n",
        "tpl: '{{ .Values.image.tag }}'\nmore: \"{{- include \\\"x\\\" . | nindent 4 }}\"\nplain: x-{{ .Release.Name }}\n",
        "'key with: colon': 1\n'#hash': 2\n'- dash': 3\n? complex key\n: 4\n\"tab\\tkey\": 5\n",
        "n: 1\n1: one\ntrue: t\nfalse: f\n1.5: x\n",
        "big: 12345678901234567890\nneg: -9223372036854775808\nf: 1.0\nz: -0.0\ntiny: 5e-324\n",
        "anchors:\n  base: &b {a: 1, l: [x, y]}\n  use:\n    <<: *b\n    a: 2\n  again: *b\n",
        "text: \"line\\nbreak\\ttab \\u00e9 \\x01 \\u2028 end\"\nspaces: '  lead and trail  '\n",
        "unicode: 日本語\nemoji: 😀\ncombining: \"e\\u0301\"\nnel: \"a\\x85b\"\nbom: \"\\ufeffx\"\n",
        "empty_lines: |\n\n  after blank\n\n  between\nindented: |2\n    four\n  two\n",
        "nulls: [~, null, Null, '', \"\"]\nbools: [y, n, Y, N, On, Off, TRUE, False]\n",
        "- top\n- level\n- list\n",
        "just a string\n",
        "|\n  a top-level\n  block\n",
        "? [a]\n: list key is an error in Helm\n",
        "deep: {a: {b: {c: {d: {e: [1, [2, [3, {f: g}]]]}}}}}\n",
        "windows: \"a\\r\\nb\"\nkey: value\n",
        "dashes: ['-', '--', '---', '- x', '-x', '-1', '-.5', '-.inf']\n",
        "docs: '---'\ndots: '...'\nstar: '*x'\namp: '&x'\nbang: '!x'\npct: '%x'\nat: '@x'\ntick: '`x'\n"
    ]

    @Test(arguments: corpus)
    func roundTrip(_ text: String) throws {
        let v: Value
        do { v = try YAML.load(text, file: "corpus.yaml") } catch let e as YAMLError where e.message.contains("map key") {
            return #expect(text.hasPrefix("? ["), "unexpected key error \(e)")
        }
        let once = YAML.emit(v)
        let back = try YAML.load(once, file: "emitted.yaml")
        #expect(identical(back, v), "emitted:\n\(once)")
        #expect(YAML.emit(back) == once, "emit is not stable for:\n\(once)")
    }

    @Test(arguments: [false, true])
    func randomValuesSurviveEmitAndLoad(multiline: Bool) throws {
        var gen = ValueGenerator(rng: SeededRandom(seed: 0x5EED_1234), multiline: multiline)
        var failures = 0
        for i in 0..<3000 {
            let v = gen.value()
            let text = YAML.emit(v)
            do {
                let back = try YAML.load(text, file: "case\(i).yaml")
                if !identical(back, v) {
                    failures += 1
                    if failures <= 5 { Issue.record("case \(i): \(v)\nemitted:\n\(text)\nread back: \(back)") }
                } else if YAML.emit(back) != text {
                    failures += 1
                    if failures <= 5 { Issue.record("case \(i): emit not stable:\n\(text)") }
                }
            } catch {
                failures += 1
                if failures <= 5 { Issue.record("case \(i): \(v)\nemitted:\n\(text)\nfailed: \(error)") }
            }
        }
        #expect(failures == 0)
    }

    @Test func multiDocumentRoundTrip() throws {
        var gen = ValueGenerator(rng: SeededRandom(seed: 42))
        for _ in 0..<200 {
            let docs = (0..<Int.random(in: 1...4, using: &gen.rng)).map { _ in gen.value() }
            let back = try YAML.loadAll(YAML.emitAll(docs), file: "multi.yaml")
            #expect(back.count == docs.count && zip(back, docs).allSatisfy { identical($0, $1) }, "\(YAML.emitAll(docs))")
        }
    }
}
