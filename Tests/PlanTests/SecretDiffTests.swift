import Plan
import Testing
import YAML

/// `slimctl diff` masks secrets on both sides before the texts meet, and a changed secret is a
/// visible line that never shows a value.
@Suite struct SecretDiffs {
    @Test func secretNamedKeysAreMaskedAndAChangeIsMarked() throws {
        let old = try YAML.load("db:\n  password: first-password\n  host: a\n", file: "old")
        let new = try YAML.load("db:\n  password: second-password\n  host: a\n", file: "new")
        let d = try #require(SecretDiff.diff(deployed: [old], wouldDeploy: [new], deployedSecrets: [:], secrets: [:]))
        #expect(!d.contains("first-password") && !d.contains("second-password"), "\(d)")
        #expect(d.contains("-  password: <secret:db.password>") && d.contains("+  password: <secret:db.password (changed)>"), "\(d)")
        #expect(SecretDiff.diff(deployed: [old], wouldDeploy: [old], deployedSecrets: [:], secrets: [:]) == nil)
    }

    @Test func secretVariablesAreMaskedByValueOnBothSides() throws {
        let old = try YAML.load("args: [--secret, OLD-shared-secret-0123456789]\n", file: "old")
        let new = try YAML.load("args: [--secret, NEW-shared-secret-0123456789]\n", file: "new")
        let d = try #require(
            SecretDiff.diff(
                deployed: [old], wouldDeploy: [new], deployedSecrets: ["sharedSecret": "OLD-shared-secret-0123456789"],
                secrets: ["sharedSecret": "NEW-shared-secret-0123456789"]))
        #expect(!d.contains("shared-secret-0123456789"), "\(d)")
        #expect(d.contains("<secret:sharedSecret>") && d.contains("<secret:sharedSecret (changed)>"), "\(d)")
        // The same secret on both sides: no difference.
        #expect(
            SecretDiff.diff(
                deployed: [new], wouldDeploy: [new], deployedSecrets: ["sharedSecret": "NEW-shared-secret-0123456789"],
                secrets: ["sharedSecret": "NEW-shared-secret-0123456789"]) == nil)
    }

    @Test func everyEntryOfASecretObjectIsMasked() throws {
        let old = try YAML.load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {key: abc, other: same}\n", file: "old")
        let new = try YAML.load("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {key: abd, other: same}\n", file: "new")
        let d = try #require(SecretDiff.diff(deployed: [old], wouldDeploy: [new], deployedSecrets: [:], secrets: [:]))
        #expect(!d.contains("abc") && !d.contains("abd") && !d.contains("same"), "\(d)")
        #expect(d.contains("+  key: <secret:stringData.key (changed)>"), "\(d)")
        #expect(d.contains("   other: <secret:stringData.other>\n"), "an unchanged entry is masked context: \(d)")
    }
}

@Suite struct StepInputChanges {
    @Test func changesAreGroupedByKindInPlanOrder() {
        let before = [
            StepInput(kind: "values", name: "a.yaml", hash: "1"), StepInput(kind: "values", name: "--set x", hash: "2"),
            StepInput(kind: "chart", name: "slim", hash: "3")
        ]
        let now = [
            StepInput(kind: "values", name: "a.yaml", hash: "9"), StepInput(kind: "values", name: "--set y", hash: "4"),
            StepInput(kind: "chart", name: "slim", hash: "3"), StepInput(kind: "simulated nodes", hash: "5")
        ]
        #expect(
            StepInputs.changes(now: now, recorded: before)
                == "values changed: a.yaml; --set y; --set x (removed), simulated nodes changed")
        #expect(StepInputs.changes(now: before, recorded: before) == nil)
        #expect(StepInputs.changes(now: before, recorded: nil) == nil)
    }
}
