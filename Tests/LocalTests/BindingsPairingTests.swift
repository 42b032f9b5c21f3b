import Foundation
import Testing
import YAML

@testable import Local

/// Which slim-bindings the local target runs for a SLIM release, and the refusal of a release it
/// cannot run.
@Suite struct BindingsPairingTests {
    @Test func generationReleasesPairAsDetermined() throws {
        let g2 = try BindingsPairing.forRelease("2.3.0", origin: "test")
        #expect(g2.bindings == "2.2.0")
        #expect(g2.match == .nearest)
        #expect(g2.staticPeers)
        #expect(g2.summary.contains("NEAREST") && g2.summary.contains("SLIM 2.3.0"))

        let g14 = try BindingsPairing.forRelease("1.4.0", origin: "test")
        #expect(g14.bindings == "1.4.1")
        #expect(g14.match == .exact)
        #expect(!g14.staticPeers, "1.4 data planes have no `peers`: they mesh only through the controller")

        #expect(try BindingsPairing.forRelease("v2.2.0", origin: "test").match == .exact, "a leading v is the same release")
        #expect(BindingsPairing.versions == ["1.4.1", "2.0.0", "2.1.0", "2.1.1", "2.2.0"])
    }

    @Test func everyExactPairingNamesItsOwnVersionAndNearestDoesNot() {
        for p in BindingsPairing.table {
            if p.match == .exact && p.slimRelease != "1.4.0" { #expect(p.bindings == p.slimRelease, "\(p)") }
            if p.match == .nearest { #expect(p.bindings != p.slimRelease, "\(p)") }
            #expect(!p.note.isEmpty)
        }
    }

    @Test func unknownReleaseIsRefusedNamingWhatCanRun() {
        #expect {
            try BindingsPairing.forRelease("9.9.9", origin: "slim.image.tag of release slim")
        } throws: { error in
            let text = String(describing: error)
            return text.contains("SLIM 9.9.9") && text.contains("slim.image.tag of release slim")
                && BindingsPairing.table.allSatisfy { text.contains("\($0.slimRelease) (slim-bindings \($0.bindings))") }
        }
    }

    @Test func releaseComesFromTheImageTagElseTheChartAppVersion() throws {
        let tagged = try YAML.load("slim:\n  image: {tag: 1.4.0}\n  daemonset: true\n  config: {services: {}}\n", file: "t")
        let a = try #require(LocalLayout.slimRelease(values: tagged, release: "slim", namespace: "slim", chartVersion: "2.2.0", tagOrigin: "--set"))
        #expect(a.slimVersion == "1.4.0")
        #expect(a.slimVersionOrigin.contains("slim.image.tag") && a.slimVersionOrigin.contains("--set"))

        let untagged = try YAML.load("slim:\n  deploymentMode: DaemonSet\n  config: {services: {}}\n", file: "t")
        let b = try #require(LocalLayout.slimRelease(values: untagged, release: "slim", namespace: "slim", chartVersion: "2.2.0"))
        #expect(b.slimVersion == "2.3.0", "chart 2.2.0's appVersion")
        #expect(b.slimVersionOrigin.contains("appVersion"))
    }
}
