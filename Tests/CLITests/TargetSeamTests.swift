import Foundation
import Testing

/// The target seam holds: commands are written against `DeploymentTarget`, and the only switch
/// on the target kind is `Targets` (Sources/SlimCLI/Targets). A command that branches on the
/// target, or builds a target's session itself, fails this test with the file and line.
@Suite struct TargetSeam {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let forbidden: [(pattern: String, why: String)] = [
        (#"(==|!=)\s*\.(local|kind|cluster)\b"#, "compares the target kind"),
        (#"case\s+\.(local|kind|cluster)\b"#, "switches on the target kind"),
        (#"\b(LocalSession|KubeSession|LocalDeployment|KubeDeployment)\("#, "builds a target's session instead of Targets.open")
    ]

    @Test func noTargetConditionalOutsideTheFactory() throws {
        let dir = "\(Self.root)/Sources/SlimCLI"
        let files = try #require(FileManager.default.enumerator(atPath: dir)?.allObjects as? [String])
        var offences: [String] = []
        var checked = 0
        for f in files where f.hasSuffix(".swift") && !f.hasPrefix("Targets/") {
            checked += 1
            let text = try String(contentsOfFile: "\(dir)/\(f)", encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                guard !code.hasPrefix("//") else { continue }
                for rule in Self.forbidden where code.range(of: rule.pattern, options: .regularExpression) != nil {
                    offences.append("Sources/SlimCLI/\(f):\(n + 1): \(rule.why): \(code)")
                }
            }
        }
        #expect(checked > 10, "the command files were found")
        #expect(offences.isEmpty, "target conditionals belong in Sources/SlimCLI/Targets:\n\(offences.joined(separator: "\n"))")
    }

    @Test func theRuleCatchesAConditional() {
        let samples = ["if target.target != .local { return }", "case .kind, .cluster:", "let s = try KubeSession(strategy: x)"]
        for s in samples {
            #expect(Self.forbidden.contains { s.range(of: $0.pattern, options: .regularExpression) != nil }, "\(s)")
        }
    }
}
