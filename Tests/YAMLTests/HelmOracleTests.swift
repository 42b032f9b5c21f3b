import Foundation
import OrderedCollections
import Testing
import YAML

/// Feeds emitted YAML to the real helm binary and checks that Helm reads the values we meant:
/// emit is only correct if the oracle agrees.
struct HelmOracleTests {
    struct HelmMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "helm not found at \(path): run `make tools` (or set SLIMCTL_HELM)" }
    }

    static func helmPath() throws -> String {
        if let p = ProcessInfo.processInfo.environment["SLIMCTL_HELM"] { return p }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".tools/bin/helm").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw HelmMissing(path: path) }
        return path
    }

    /// Renders `{{ toJson .Values }}`, base64-encoded because Helm re-parses template output as
    /// YAML (and go-yaml's toYaml prints a `<<` key bare, which would read back as a merge key).
    static func helmReadsBack(_ valuesYAML: String) throws -> (status: Int32, out: String, err: String) {
        let helm = try helmPath()
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("yaml-helm-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        let chart = dir.appendingPathComponent("chart")
        try fm.createDirectory(at: chart.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try "apiVersion: v2\nname: oracle\nversion: 0.1.0\n".write(to: chart.appendingPathComponent("Chart.yaml"), atomically: true, encoding: .utf8)
        try "data: {{ toJson .Values | b64enc | quote }}\n".write(to: chart.appendingPathComponent("templates/values.txt"), atomically: true, encoding: .utf8)
        let values = dir.appendingPathComponent("values.yaml")
        try valuesYAML.write(to: values, atomically: true, encoding: .utf8)
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        fm.createFile(atPath: outURL.path, contents: nil)
        fm.createFile(atPath: errURL.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: helm)
        p.arguments = ["template", "oracle", chart.path, "-f", values.path]
        var env = ProcessInfo.processInfo.environment
        for (k, sub) in [("HELM_CONFIG_HOME", "cfg"), ("HELM_CACHE_HOME", "cache"), ("HELM_DATA_HOME", "data")] {
            env[k] = dir.appendingPathComponent(sub).path
        }
        p.environment = env
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        p.waitUntilExit()
        let out = try String(contentsOf: outURL, encoding: .utf8)
        let err = try String(contentsOf: errURL, encoding: .utf8)
        // Drop helm's "---" and "# Source:" header lines.
        let line = out.split(separator: "\n").first { $0.hasPrefix("data: ") } ?? ""
        let encoded = line.dropFirst("data: ".count).filter { $0 != "\"" }
        let decoded = Data(base64Encoded: String(encoded)).map { String(decoding: $0, as: UTF8.self) }
        return (p.terminationStatus, decoded ?? "undecodable helm output: \(out)", err)
    }

    static func check(_ values: OrderedDictionary<String, Value>, label: String) throws {
        let text = YAML.emit(.map(values))
        let r = try helmReadsBack(text)
        #expect(r.status == 0, "\(label): helm failed: \(r.err)\nvalues:\n\(text)")
        guard r.status == 0 else { return }
        let seen = try Value(json: r.out)
        let mine = Value.map(values)
        guard !helmEquals(seen, mine), let seenMap = seen.mapValue else { return }
        for (k, v) in values where !(seenMap[k].map { helmEquals($0, v) } ?? false) {
            Issue.record("\(label): key \(k.debugDescription): we emitted\n\(YAML.emit(.map([k: v])))Helm read \(String(describing: seenMap[k]))")
        }
        #expect(seenMap.count == values.count, "\(label): Helm saw keys \(seenMap.keys.elements)")
    }

    /// `semanticallyEquals`, except that two ints also compare as float64: Helm holds every number
    /// as float64, so 8456901855820575123 comes back as 8456901855820576000.
    static func helmEquals(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return Double(x) == Double(y)
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { helmEquals($0, $1) }
        case (.map(let x), .map(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { helmEquals(v, $0) } ?? false }
        default: return a.semanticallyEquals(b)
        }
    }

    @Test func helmReadsEmittedCorpusAsWeDo() throws {
        var values = OrderedDictionary<String, Value>()
        for (i, text) in RoundTripTests.corpus.enumerated() {
            guard let v = try? YAML.load(text, file: "corpus"), !v.isNull else { continue }
            values["corpus\(i)"] = v
        }
        for (i, s) in (EmitTests.quoted + EmitTests.plain + EmitTests.escaped).enumerated() {
            values["s\(i)"] = .string(s)
            values[s.isEmpty ? "empty-key" : s] = .int(Int64(i))
        }
        for (i, row) in ResolutionTests.table.enumerated() {
            values["table\(i)"] = row.1
        }
        try Self.check(values, label: "corpus")
    }

    @Test func helmReadsEmittedRandomValuesAsWeDo() throws {
        for (seed, multiline) in [(UInt64(1), false), (2, true), (3, false)] {
            var gen = ValueGenerator(rng: SeededRandom(seed: seed), multiline: multiline)
            var values = OrderedDictionary<String, Value>()
            for i in 0..<300 { values["v\(i)"] = gen.value() }
            try Self.check(values, label: "seed \(seed)")
        }
    }

    /// The resolution table, asked live: Helm and `YAML.load` must read the same file the same way.
    @Test func helmResolvesScalarsAsWeDo() throws {
        var text = ""
        for (i, row) in ResolutionTests.table.enumerated() { text += "k\(i): \(row.0)\n" }
        for (i, row) in ResolutionTests.keys.enumerated() { text += "m\(i): {\(row.0): x}\n" }
        let mine = try YAML.load(text, file: "table.yaml")
        let r = try Self.helmReadsBack(text)
        #expect(r.status == 0, "helm failed: \(r.err)")
        guard r.status == 0, let seen = try Value(json: r.out).mapValue, let mineMap = mine.mapValue else { return }
        for (k, v) in mineMap where !(seen[k].map { Self.helmEquals($0, v) } ?? false) {
            Issue.record("\(k): we read \(v), Helm read \(String(describing: seen[k]))")
        }
        #expect(seen.count == mineMap.count)
    }
}
