import Plan
import Strategy
import Testing
import Tools
import YAML

@Suite struct ChartMirrors {
    @Test func aMirrorReplacesAWholeSegmentPrefix() throws {
        let m = [try ChartMirror.parse("ghcr.io/agntcy=127.0.0.1:5000/agntcy")]
        #expect(ChartMirror.apply(m, to: "oci://ghcr.io/agntcy/slim/helm/slim") == "oci://127.0.0.1:5000/agntcy/slim/helm/slim")
        #expect(ChartMirror.apply(m, to: "oci://ghcr.io/agntcyx/slim") == nil, "only whole path segments match")
        #expect(ChartMirror.apply(m, to: "oci://quay.io/agntcy/slim") == nil)
        let repo = [try ChartMirror.parse("https://spiffe.github.io/helm-charts-hardened/=http://127.0.0.1:8080")]
        #expect(ChartMirror.apply(repo, to: "https://spiffe.github.io/helm-charts-hardened/") == "http://127.0.0.1:8080/")
        #expect(try ChartMirror.parse("oci://a.io/x=oci://b.io/y/") == ChartMirror(from: "a.io/x", to: "b.io/y"))
        #expect(try ChartMirror.parseList(" a.io=b.io , c.io=d.io ,") == [ChartMirror(from: "a.io", to: "b.io"), ChartMirror(from: "c.io", to: "d.io")])
        for bad in ["nofrom", "=x", "x=", "a b=c"] {
            #expect(throws: ChartMirror.Invalid.self) { try ChartMirror.parse(bad) }
        }
    }

    @Test func thePlanShowsTheMirroredChartAndTheRegistryFlags() throws {
        let rel = HelmRelease(
            release: "slim", namespace: "slim", createNamespace: true,
            chart: ChartRef(ref: "oci://ghcr.io/agntcy/slim/helm/slim", version: "2.2.0", repo: nil, generation: "2", mark: .synthetic("s")),
            valuesFiles: [], set: [], primary: true, expect: [], mark: .synthetic("s"))
        let t = TargetOptions(kind: .cluster, renderDir: "/r", chartMirrors: [try ChartMirror.parse("ghcr.io/agntcy=reg:5000/agntcy")], plainHTTP: true)
        let chart = Planner.chart(for: rel, strategyFile: "/s/x.yaml", target: t)
        #expect(chart.ref == "oci://reg:5000/agntcy/slim/helm/slim")
        #expect(chart.version == "2.2.0")
        #expect(chart.plainHTTP)
        // A chart in hand wins over any mirror, and a packaged chart is a path like a folder.
        let local = TargetOptions(kind: .cluster, renderDir: "/r", chartOverrides: ["slim": "/c/slim-2.2.0.tgz"], chartMirrors: t.chartMirrors)
        #expect(Planner.chart(for: rel, strategyFile: "/s/x.yaml", target: local) == .local("/c/slim-2.2.0.tgz"))
    }
}

@Suite struct ChartFitRules {
    func release(expect kinds: [String]) -> HelmRelease {
        HelmRelease(
            release: "slim", namespace: "slim", createNamespace: true,
            chart: ChartRef(ref: "oci://x/slim", version: "", repo: nil, generation: nil, mark: .synthetic("s")), valuesFiles: [], set: [],
            primary: true, expect: kinds.map { Expectation(kind: $0, name: "slim", fields: [], mark: .synthetic("s")) }, mark: .synthetic("s"))
    }

    @Test func whatEachSlimChartCanRender() {
        let v14 = ChartInfo(name: "slim", version: "1.4.0", appVersion: "1.4.0")
        let v22 = ChartInfo(name: "slim", version: "2.2.0", appVersion: "2.3.0")
        let v15 = ChartInfo(name: "slim", version: "1.5.1", appVersion: "1.5.1")
        #expect(ChartFit.valuesShape(v14) == "1.4")
        #expect(ChartFit.valuesShape(v22) == "2")
        #expect(ChartFit.valuesShape(v15) == "2", "1.5 already reads slim.deploymentMode")
        #expect(ChartFit.valuesShape(ChartInfo(name: "spire", version: "0.26.0", appVersion: nil)) == nil)
        #expect(ChartFit.problems(chart: v14, release: release(expect: ["StatefulSet"]), generation: "1.4").isEmpty)
        let sts = ChartFit.problems(chart: v22, release: release(expect: ["StatefulSet"]), generation: "2")
        #expect(sts.count == 1 && sts[0].contains("cannot render a StatefulSet") && sts[0].contains("Deployment or DaemonSet"), "\(sts)")
        let gen = ChartFit.problems(chart: v14, release: release(expect: ["DaemonSet"]), generation: "2")
        #expect(gen.count == 1 && gen[0].contains("generation 1.4") && gen[0].contains("written for generation 2"), "\(gen)")
        #expect(
            ChartFit.problems(chart: v22, release: release(expect: ["DaemonSet"]), generation: "custom").isEmpty,
            "a strategy's own generation names are not compared with SLIM's")
    }

    @Test func chartYAMLAndWarnings() throws {
        let info = ChartInfo(chartYAML: try YAML.load("apiVersion: v2\nname: slim\nversion: 2.2.0\nappVersion: 2.3.0\n", file: "Chart.yaml"))
        #expect(info == ChartInfo(name: "slim", version: "2.2.0", appVersion: "2.3.0"))
        #expect(ChartInfo(chartYAML: try YAML.load("name: x\n", file: "Chart.yaml")) == nil)
        #expect(
            ChartFit.ignoredValuePath(
                "destination for slim-control-plane.config.northbound is a table. Ignoring non-table value ([…])", chart: "slim-control-plane")
                == ["config", "northbound"])
        #expect(ChartFit.ignoredValuePath("cannot overwrite table with non table for slim.slim.service (map[])", chart: "slim") == ["slim", "service"])
        #expect(ChartFit.ignoredValuePath("something else", chart: "slim") == nil)
    }
}
