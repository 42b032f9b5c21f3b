import Foundation
import Testing

/// kubectl's and helm's habits: `-n/--namespace`, timeouts as Go durations, `NO_COLOR` only
/// when non-empty.
@Suite struct Conventions {
    @Test func namespaceShortFlagSetsTheNamespaceVariable() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, out) = try await run(["plan", "daemonset", "--target", "cluster", "-n", "demo"], state: state)
        #expect(code == 0, "\(out)")
        #expect(out.contains("--namespace demo") && out.contains("Deployment demo/slim-control"), "\(out)")
        let (clash, text) = try await run(["plan", "daemonset", "-n", "demo", "--var", "namespace=other"], state: state)
        #expect(clash == 2 && text.contains("disagree"), "\(text)")
    }

    @Test(arguments: [("abc", true), ("2m", false), ("90", false), ("1h30m", false), ("1.5s", false), ("5x", true)])
    func timeoutsTakeSecondsOrGoDurations(value: String, refused: Bool) async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, out) = try await run(["verify", "daemonset", "--timeout", value], state: state)
        if refused {
            #expect(code == 2 && out.contains("is not a timeout"), "\(out)")
        } else {
            #expect(!out.contains("is not a timeout") && code != 2, "\(value): \(out)")
        }
    }

    @Test func aZeroDurationIsRefusedNamingTheOption() async throws {
        let state = tempDir()
        defer { cleanup(state) }
        let (code, out) = try await run(["ci", "daemonset", "--verify-timeout", "0s"], state: state)
        #expect(code == 2 && out.contains("--verify-timeout"), "\(out)")
    }
}
