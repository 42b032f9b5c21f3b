import Foundation
import Testing
import YAML

@testable import Values

/// The heart of the Values module: for every case, helm itself and slimctl must agree.
///
/// (a) `helm template` with the case's `-f` files and `--set*` arguments prints `.Values`;
/// (b) `coalesce(chart defaults, compose(...))` must mean the same;
/// (c) the property slimctl relies on: `YAML.emit(compose(...))` written to ONE file and given to
///     helm as the only `-f` renders byte-for-byte what (a) rendered.
@Suite struct HelmDifferentialTests {
    struct Outcome: Sendable {
        var name: String
        var problems: [String]
    }

    static func chartDefaults() throws -> Value {
        let url = HelmRunner.chartDirectory.appendingPathComponent("values.yaml")
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        return try Values.loadFile(path: url.path, text: text)
    }

    struct MissingTemplate: Error, CustomStringConvertible {
        var name: String
        var output: String
        var description: String { "no \(name) in helm output:\n\(output)" }
    }

    /// The body of one rendered template from `helm template` output.
    static func rendered(_ output: String, template: String) throws -> String {
        // Documents start with "---" and a Source comment; values may themselves contain "---".
        let header = "---\n# Source: values-chart/templates/\(template)\n"
        guard let start = output.range(of: header) else { throw MissingTemplate(name: template, output: output) }
        let body = output[start.upperBound...]
        if let next = body.range(of: "\n---\n# Source: ") {
            return String(body[..<next.lowerBound]) + "\n"
        }
        return String(body)
    }

    /// The chart also prints `toJson .Values`: JSON keeps Helm's types (int64 vs float64) exact and
    /// lets (b) compare values without depending on YAML parsing.
    static func renderedJSON(_ output: String) throws -> String { try rendered(output, template: "values.json") }

    /// Runs one case; returns what went wrong, if anything.
    static func check(_ c: HelmCase, defaults: Value) async -> Outcome {
        var problems: [String] = []
        do {
            let dir = try HelmRunner.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            var args = ["template", "t", HelmRunner.chartDirectory.path]
            var files: [(path: String, text: String)] = []
            for (i, text) in c.files.enumerated() {
                let name = "values-\(i).yaml"
                try Data(text.utf8).write(to: dir.appendingPathComponent(name))
                args += ["-f", name]
                files.append((name, text))
            }
            for (name, text) in c.setFiles {
                try Data(text.utf8).write(to: dir.appendingPathComponent(name))
            }
            for (kind, expr) in c.sets { args += [kind.flag, expr] }

            // (a) helm on the original inputs
            let direct = try await HelmRunner.run(args, in: dir)
            guard direct.status == 0 else {
                return Outcome(name: c.name, problems: ["helm failed on the original inputs: \(direct.stderr)"])
            }

            // (b) slimctl's meaning of the same inputs
            let setFiles = c.setFiles
            let composed = try Values.compose(files: files, sets: c.sets) { path in
                guard let text = setFiles[path] else { throw ValuesError("no such file \(path)", at: .none) }
                return text
            }
            let ours = Values.coalesce(chartDefaults: defaults, user: composed)
            let helmValues = try Value(json: try renderedJSON(direct.stdout))
            if !ours.semanticallyEquals(helmValues) {
                problems.append(
                    """
                    coalesced values differ from helm's
                    ours: \(ours.jsonString())
                    helm: \(helmValues.jsonString())
                    """)
            }
            // helm's YAML rendering must read back as the same values too (exercises YAML.load).
            let helmYAML = try YAML.load(try rendered(direct.stdout, template: "values.yaml"), file: "helm output")
            if !helmYAML.semanticallyEquals(helmValues) {
                problems.append("YAML.load of helm's toYaml differs from its toJson: \(helmYAML.jsonString())")
            }

            // (c) one emitted file gives helm exactly the same values
            let emitted = YAML.emit(composed)
            try Data(emitted.utf8).write(to: dir.appendingPathComponent("composed.yaml"))
            let viaFile = try await HelmRunner.run(["template", "t", HelmRunner.chartDirectory.path, "-f", "composed.yaml"], in: dir)
            if viaFile.status != 0 {
                problems.append("helm rejected the emitted file: \(viaFile.stderr)\n--- emitted ---\n\(emitted)")
            } else if viaFile.stdout != direct.stdout {
                problems.append(
                    """
                    helm output through the emitted file differs
                    --- direct ---
                    \(direct.stdout)
                    --- via emitted file ---
                    \(viaFile.stdout)
                    --- emitted ---
                    \(emitted)
                    """)
            }
        } catch {
            problems.append("error: \(error)")
        }
        return Outcome(name: c.name, problems: problems)
    }

    @Test func casesAreMany() {
        #expect(HelmCases.all.count >= 40)
        #expect(Set(HelmCases.all.map(\.name)).count == HelmCases.all.count, "case names are unique")
    }

    @Test func helmAgreesOnEveryCase() async throws {
        _ = try HelmRunner.helmPath()
        let defaults = try Self.chartDefaults()
        let outcomes = await HelmRunner.forEachConcurrently(HelmCases.all) { c in
            await Self.check(c, defaults: defaults)
        }
        #expect(outcomes.count == HelmCases.all.count)
        for o in outcomes where !o.problems.isEmpty {
            let text = "case \"\(o.name)\":\n" + o.problems.joined(separator: "\n")
            Issue.record(Comment(rawValue: text))
        }
    }
}
