import Foundation
import Testing
import YAML

@testable import Values

/// Inputs Helm rejects must be rejected by slimctl too (and the other way round), with a message
/// that points at the argument or file position.
@Suite struct HelmErrorTests {
    struct Bad: Sendable, CustomStringConvertible {
        var files: [String] = []
        var sets: [(SetKind, String)] = []
        var description: String { "files \(files) sets \(sets.map { "\($0.0.flag) \($0.1)" })" }
    }

    static let cases: [Bad] = [
        // Chart defaults are not there yet when --set runs, so conflicts come from -f values only.
        Bad(files: ["r: 1\n"], sets: [(.set, "r.x=1")]),  // path through a number
        Bad(files: ["m: {k: 1}\n"], sets: [(.set, "m[0]=x")]),  // index into a map
        Bad(files: ["nul: null\n"], sets: [(.set, "nul.x=1")]),  // path through a null
        Bad(files: ["nul: null\n"], sets: [(.set, "nul[0]=1")]),  // index into a null
        Bad(sets: [(.set, "a[x]=1")]),
        Bad(sets: [(.set, "a[-1]=1")]),
        Bad(sets: [(.set, "a[70000]=1")]),
        Bad(sets: [(.set, "a[0]x=1")]),
        Bad(sets: [(.set, "a={x,y")]),
        Bad(sets: [(.set, "name={{ .Release.Name }}")]),
        Bad(sets: [(.set, "a")]),
        Bad(sets: [(.set, "a,b=1")]),
        Bad(sets: [(.set, "a.=1")]),
        Bad(sets: [(.string, "a.b")]),
        Bad(sets: [(.json, "a={\"b\":}")]),
        Bad(sets: [(.json, "a=abc")]),
        Bad(sets: [(.json, "{\"a\":1} x")]),
        Bad(sets: [(.literal, "abc")]),
        Bad(sets: [(.file, "a=does-not-exist.txt")]),
        Bad(files: ["- a\n- b\n"]),  // a values file must be a map
        Bad(files: ["a: [1, 2\n"]),  // YAML syntax error
        Bad(files: ["a: 1\n--- {b: 2}\n"])  // content after a document separator
    ]

    @Test func helmAndSlimctlRejectTheSameInputs() async throws {
        _ = try HelmRunner.helmPath()
        let results = await HelmRunner.forEachConcurrently(Self.cases) { bad -> String? in
            do {
                let dir = try HelmRunner.makeTemporaryDirectory()
                defer { try? FileManager.default.removeItem(at: dir) }
                var args = ["template", "t", HelmRunner.chartDirectory.path]
                var files: [(path: String, text: String)] = []
                for (i, text) in bad.files.enumerated() {
                    try Data(text.utf8).write(to: dir.appendingPathComponent("f\(i).yaml"))
                    args += ["-f", "f\(i).yaml"]
                    files.append(("f\(i).yaml", text))
                }
                for (kind, expr) in bad.sets { args += [kind.flag, expr] }
                let helm = try await HelmRunner.run(args, in: dir)
                var ours: Error?
                do {
                    _ = try Values.compose(files: files, sets: bad.sets) { path in
                        throw ValuesError("no such file \(path)", at: .none)
                    }
                } catch {
                    ours = error
                }
                var problems: [String] = []
                if helm.status == 0 { problems.append("helm accepted it") }
                if let ours {
                    if !(ours is ValuesError) { problems.append("slimctl threw \(type(of: ours)), not ValuesError: \(ours)") }
                } else {
                    problems.append("slimctl accepted it")
                }
                return problems.isEmpty ? nil : "\(bad): " + problems.joined(separator: "; ")
            } catch {
                return "\(bad): \(error)"
            }
        }
        #expect(results.count == Self.cases.count)
        for case let problem? in results { Issue.record(Comment(rawValue: problem)) }
    }

    @Test func syntaxErrorsInLaterDocumentsKeepFileLines() throws {
        do {
            _ = try Values.loadFile(path: "v.yaml", text: "a: 1\n---\nb: [1, 2\nc: 3\n")
            Issue.record("a syntax error was accepted")
        } catch let e as ValuesError {
            guard case .file(let mark) = e.location else {
                Issue.record("no file position: \(e)")
                return
            }
            #expect(mark.file == "v.yaml")
            #expect(mark.line >= 3, "\(e)")
        }
        do {
            _ = try Values.loadFile(path: "v.yaml", text: "a: 1\n--- {b: 2}\n")
            Issue.record("content after --- was accepted")
        } catch let e as ValuesError {
            #expect(e.location == .file(Mark(file: "v.yaml", line: 2, column: 4)))
        }
    }

    @Test func fileErrorsCarryTheFilePosition() throws {
        do {
            _ = try Values.loadFile(path: "prod.yaml", text: "a: 1\n---\n\n- x\n")
            Issue.record("a list document was accepted")
        } catch let e as ValuesError {
            guard case .file(let mark) = e.location else {
                Issue.record("no file position: \(e)")
                return
            }
            #expect(mark.file == "prod.yaml")
            #expect(mark.line == 4)
            #expect(e.description.hasPrefix("prod.yaml:4:"))
        }
    }
}
