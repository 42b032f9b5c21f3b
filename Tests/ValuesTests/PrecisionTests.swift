import Foundation
import Testing
import YAML

@testable import Values

/// The one place where "write the composed values to one file" is not exactly what Helm does:
/// `--set` integers beyond 2^53 stay int64 in Helm, but a values file carries them as float64.
@Suite struct PrecisionTests {
    @Test func helmRoundsLargeIntegersFromFilesButNotFromSet() async throws {
        _ = try HelmRunner.helmPath()
        let dir = try HelmRunner.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let chart = HelmRunner.chartDirectory.path
        let composed = try Values.compose(files: [], sets: [(.set, "big=9007199254740993,ok=9007199254740992")])
        #expect(Values.integersLosingPrecisionInFile(composed) == ["big"])

        try Data("big: 9007199254740993\nok: 9007199254740992\n".utf8).write(to: dir.appendingPathComponent("f.yaml"))
        let viaSet = try await HelmRunner.run(["template", "t", chart, "--set", "big=9007199254740993,ok=9007199254740992"], in: dir)
        let viaFile = try await HelmRunner.run(["template", "t", chart, "-f", "f.yaml"], in: dir)
        #expect(viaSet.stdout.contains("\nbig: 9007199254740993\n"), "\(viaSet.stdout)")
        #expect(viaFile.stdout.contains("\nbig: 9007199254740992\n"), "\(viaFile.stdout)")

        // And slimctl's file loading rounds the same way.
        let loaded = try Values.loadFile(path: "f.yaml", text: "big: 9007199254740993\nl: [-9007199254740995]\n")
        #expect(loaded["big"] == .int(9007199254740992))
        #expect(loaded["l"] == .list([.int(-9007199254740996)]))
        #expect(Values.integersLosingPrecisionInFile(loaded).isEmpty)
    }
}
