import Foundation
import Testing
import Tools

/// Values whose key names a secret are as secret as the strategy's secret variables: masked
/// wherever values are printed, and written only to 0600 files in 0700 folders.
@Suite struct SecretValuesCLI {
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func secretNamedValuesAreMaskedAndTheirFilesPrivate() async throws {
        let state = tempDir()
        let long = "correct-horse-battery-staple-42"
        let file = state + "/token.txt"
        try "file-secret-contents-0123".write(toFile: file, atomically: true, encoding: .utf8)
        let args = [
            "--set", "slim.password=\(long)", "--set-string", "slim.apiToken=abc123", "--set-file", "slim.clientSecret=\(file)",
            "--set-json", #"slim.db={"passwd":"json-secret-value-99"}"#, "--set", "slim.passwordFile=/etc/pw"
        ]
        let (code, out) = try await run(["render", "daemonset"] + args, state: state)
        #expect(code == 0, "\(out)")
        for secret in [long, "abc123", "file-secret-contents-0123", "json-secret-value-99"] {
            #expect(!out.contains(secret), "\(secret) printed: \(out)")
        }
        #expect(out.contains("<secret:slim.password>") && out.contains("<secret:slim.apiToken>"), "\(out)")
        #expect(out.contains("/etc/pw"), "a key naming where a secret lives is not a secret: \(out)")

        let dir = state + "/out"
        let (wcode, wout) = try await run(["render", "daemonset", "--out", dir] + args, state: state)
        #expect(wcode == 0, "\(wout)")
        #expect(!wout.contains(long))
        #expect(try mode(dir) == 0o700)
        #expect(try mode(dir + "/slim.values.yaml") == 0o600)
        #expect(try String(contentsOfFile: dir + "/slim.values.yaml", encoding: .utf8).contains(long), "helm gets the real value")

        // The plan masks the long ones wherever they would appear (e.g. in a helm argv).
        let (pcode, plan) = try await run(
            ["plan", "daemonset", "--target", "kind", "--set", "slim.password=\(long)", "--var", "namespace=\(long.prefix(5))"],
            state: state)
        #expect(pcode == 0, "\(plan)")
        #expect(!plan.contains(long))
    }
}
