import Foundation
import Kube
import KubeSim
import Testing
import YAML

extension ReleasedCharts {
    /// The real kubectl (v1.33.9) and helm against the simulator, command by command, with what
    /// kube-apiserver of the same release answers: versions, dry runs that persist nothing, diff,
    /// patches, the scale subresource, rollouts, waits, logs, describe, field validation of
    /// built-in kinds, protobuf bodies, and a helm release's life cycle on a chart the test
    /// writes itself. Deadlines are generous (they bound a hang, they measure nothing). In the
    /// serialized group: each test runs a dozen processes.
    @Suite("a battery of kubectl and helm commands")
    struct KubectlBatteryTests {
        func write(_ h: HelmSession, _ name: String, _ yaml: String) throws -> String {
            let path = h.home + "/\(name).yaml"
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func has(_ out: String, _ part: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
            #expect(out.contains(part), "\(part) not in: \(out)", sourceLocation: sourceLocation)
            return true
        }

        @discardableResult
        func ok(_ h: HelmSession, _ args: [String]) throws -> String {
            let (code, out, err) = try h.kubectl(args)
            #expect(code == 0, "kubectl \(args.joined(separator: " ")): \(out)\n\(err)")
            return out
        }

        func deployment(_ name: String, image: String = "web:1", replicas: Int = 1) -> String {
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: \(name), namespace: default, labels: {app: \(name)}}
            spec:
              replicas: \(replicas)
              selector: {matchLabels: {app: \(name)}}
              template:
                metadata: {labels: {app: \(name)}}
                spec:
                  containers:
                  - name: web
                    image: "\(image)"
                    ports: [{name: http, containerPort: 8080}]
            """
        }

        @Test func versionIsTheShippedKubectls() async throws {
            try await withHelm { h in
                let (code, out, err) = try h.kubectl(["version", "-o", "json"])
                #expect(code == 0, "\(err)")
                let v = try Value(json: out)
                #expect(v["serverVersion"]?["gitVersion"]?.stringValue == "v1.33.9")
                #expect(v["serverVersion"]?["gitVersion"] == v["clientVersion"]?["gitVersion"])
                #expect(v["serverVersion"]?["major"]?.stringValue == "1" && v["serverVersion"]?["minor"]?.stringValue == "33")
                for k in ["goVersion", "platform", "compiler", "buildDate", "gitCommit"] {
                    let value = v["serverVersion"]?[k]?.stringValue ?? ""
                    #expect(value.isEmpty == false, "\(k)")
                }
                #expect(!err.contains("version difference"), "\(err)")
                let openapi = try await h.get("/openapi/v2")
                #expect(openapi?["info"]?["version"]?.stringValue == "v1.33.9")
                let node = try await h.get("/api/v1/nodes/sim-worker")
                #expect(node?.lookup(["status", "nodeInfo", "kubeletVersion"])?.stringValue == "v1.33.9")
            }
        }

        @Test func dryRunsAndDiffPersistNothingPatchesApply() async throws {
            try await withHelm { h in
                let file = try write(h, "web", deployment("web"))
                #expect(try ok(h, ["apply", "-f", file]).contains("deployment.apps/web created"))
                let cm = try write(h, "cm", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {a: \"1\"}\n")
                #expect(try ok(h, ["apply", "--server-side", "-f", cm]).contains("configmap/settings serverside-applied"))

                // Server dry runs: the answer says what would happen, nothing is stored.
                #expect(
                    try ok(h, ["create", "configmap", "ghost", "--from-literal=x=1", "--dry-run=server"]).contains("configmap/ghost created (server dry run)"))
                #expect(try await h.get("/api/v1/namespaces/default/configmaps/ghost") == nil)
                let changed = try write(h, "web2", deployment("web", image: "web:2"))
                #expect(try ok(h, ["apply", "-f", changed, "--dry-run=server"]).contains("deployment.apps/web configured (server dry run)"))
                #expect(try ok(h, ["apply", "--server-side", "-f", changed, "--dry-run=server"]).contains("serverside-applied (server dry run)"))
                _ = has(
                    try ok(h, ["patch", "deployment", "web", "--type=merge", "-p", #"{"spec":{"replicas":5}}"#, "--dry-run=server"]),
                    "deployment.apps/web patched")
                #expect(try ok(h, ["delete", "configmap", "settings", "--dry-run=server"]).contains("configmap \"settings\" deleted (server dry run)"))
                let live = try #require(try await h.get("/apis/apps/v1/namespaces/default/deployments/web"))
                #expect(live.lookup(["spec", "replicas"])?.intValue == 1)
                #expect(live.lookup(["spec", "template", "spec", "containers"])?.listValue?.first?["image"]?.stringValue == "web:1")
                #expect(try await h.get("/api/v1/namespaces/default/configmaps/settings") != nil)

                // diff: exit 1 with the change shown, nothing stored; exit 0 when nothing differs.
                let (diffCode, diffOut, diffErr) = try h.kubectl(["diff", "-f", changed])
                #expect(diffCode == 1, "\(diffOut)\n\(diffErr)")
                let diffLines = diffOut.split(separator: "\n")
                #expect(diffLines.contains { $0.hasPrefix("-") && $0.contains("image: web:1") }, "\(diffOut)")
                #expect(diffLines.contains { $0.hasPrefix("+") && $0.contains("image: web:2") }, "\(diffOut)")
                let (sameCode, sameOut, sameErr) = try h.kubectl(["diff", "-f", file])
                #expect(sameCode == 0, "\(sameOut)\n\(sameErr)")
                #expect(
                    try await h.get("/apis/apps/v1/namespaces/default/deployments/web")?.lookup(["spec", "template", "spec", "containers"])?
                        .listValue?.first?["image"]?.stringValue == "web:1")

                // Patches of each type.
                #expect(try ok(h, ["patch", "configmap", "settings", "--type=merge", "-p", #"{"data":{"b":"2"}}"#]).contains("configmap/settings patched"))
                #expect(
                    try ok(
                        h,
                        [
                            "patch", "configmap", "settings", "--type=json", "-p",
                            #"[{"op":"replace","path":"/data/a","value":"3"},{"op":"add","path":"/data/c","value":"4"}]"#
                        ]
                    )
                    .contains("configmap/settings patched"))
                let data = try await h.get("/api/v1/namespaces/default/configmaps/settings")?["data"]
                #expect(data?["a"]?.stringValue == "3" && data?["b"]?.stringValue == "2" && data?["c"]?.stringValue == "4")
                #expect(
                    try ok(h, ["patch", "deployment", "web", "-p", #"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:3"}]}}}}"#])
                        .contains("deployment.apps/web patched"))
                let patched = try await h.get("/apis/apps/v1/namespaces/default/deployments/web")
                let containers = patched?.lookup(["spec", "template", "spec", "containers"])?.listValue ?? []
                #expect(
                    containers.count == 1 && containers.first?["image"]?.stringValue == "web:3"
                        && containers.first?["ports"]?.listValue?.count == 1, "strategic merge keeps the container's other fields")
                #expect(try ok(h, ["delete", "configmap", "settings"]).contains("configmap \"settings\" deleted"))
                #expect(try await h.get("/api/v1/namespaces/default/configmaps/settings") == nil)
            }
        }

        @Test func scaleRolloutAndWait() async throws {
            try await withHelm { h in
                _ = try ok(h, ["apply", "-f", try write(h, "web", deployment("web"))])
                #expect(try ok(h, ["wait", "--for=condition=Available", "deployment/web", "--timeout=120s"]).contains("deployment.apps/web condition met"))

                // The scale subresource, as kubectl scale and the raw API see it.
                let discovery = try ok(h, ["get", "--raw", "/apis/apps/v1"])
                #expect(discovery.contains("\"deployments/scale\"") && discovery.contains("\"statefulsets/scale\""), "\(discovery)")
                #expect(try ok(h, ["scale", "deployment/web", "--replicas=3"]).contains("deployment.apps/web scaled"))
                let scale = try Value(json: try ok(h, ["get", "--raw", "/apis/apps/v1/namespaces/default/deployments/web/scale"]))
                #expect(scale["kind"]?.stringValue == "Scale" && scale["apiVersion"]?.stringValue == "autoscaling/v1")
                #expect(scale.lookup(["spec", "replicas"])?.intValue == 3)
                #expect(scale.lookup(["status", "selector"])?.stringValue == "app=web")
                #expect(try ok(h, ["rollout", "status", "deployment/web", "--timeout=120s"]).contains("successfully rolled out"))
                try await h.eventually("three web pods running") {
                    try await h.items("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb").filter { !$0.isTerminating }.count == 3
                }
                // A precondition that no longer holds is refused, as the real server does.
                let (staleCode, _, staleErr) = try h.kubectl(["scale", "deployment/web", "--replicas=1", "--current-replicas=2"])
                #expect(staleCode != 0 && staleErr.contains("Expected replicas to be 2, was 3"), "\(staleErr)")

                // Rollout of a new template, its history, and undo.
                _ = try ok(h, ["set", "image", "deployment/web", "web=web:2"])
                #expect(try ok(h, ["rollout", "status", "deployment/web", "--timeout=120s"]).contains("successfully rolled out"))
                let history = try ok(h, ["rollout", "history", "deployment/web"])
                #expect(history.contains("1 ") && history.contains("2 "), "\(history)")
                #expect(try ok(h, ["rollout", "undo", "deployment/web"]).contains("deployment.apps/web rolled back"))
                _ = try ok(h, ["rollout", "status", "deployment/web", "--timeout=120s"])
                let undone = try await h.get("/apis/apps/v1/namespaces/default/deployments/web")
                #expect(undone?.lookup(["spec", "template", "spec", "containers"])?.listValue?.first?["image"]?.stringValue == "web:1")
                #expect(undone?.lookup(["spec", "replicas"])?.intValue == 3)

                // A StatefulSet scales through the same subresource; its controller follows.
                let sts = """
                    apiVersion: apps/v1
                    kind: StatefulSet
                    metadata: {name: db, namespace: default}
                    spec:
                      serviceName: db
                      replicas: 1
                      selector: {matchLabels: {app: db}}
                      template:
                        metadata: {labels: {app: db}}
                        spec:
                          containers: [{name: db, image: "db:1"}]
                    """
                _ = try ok(h, ["apply", "-f", try write(h, "db", sts)])
                #expect(try ok(h, ["scale", "statefulset", "db", "--replicas=2"]).contains("statefulset.apps/db scaled"))
                _ = try ok(h, ["rollout", "status", "statefulset/db", "--timeout=120s"])
                try await h.eventually("pod db-1") { try await h.get("/api/v1/namespaces/default/pods/db-1") != nil }
                let (negCode, _, negErr) = try h.kubectl(["scale", "statefulset", "db", "--replicas=-1"])
                #expect(negCode != 0, "\(negErr)")
            }
        }

        @Test func fieldValidationOfBuiltInKinds() async throws {
            try await withHelm { h in
                let unknown = """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata: {name: extra, namespace: default}
                    data: {a: "1"}
                    spec: {foo: 1}
                    """
                let file = try write(h, "extra", unknown)
                // kubectl validates strictly by default: the server refuses the unknown field.
                let (code, _, err) = try h.kubectl(["apply", "-f", file])
                #expect(code != 0 && err.contains("strict decoding error: unknown field \"spec\""), "\(err)")
                #expect(try await h.get("/api/v1/namespaces/default/configmaps/extra") == nil)
                let deployFile = try write(h, "deploy-extra", deployment("extra") + "\n  foo: bar\n")
                let (dCode, _, dErr) = try h.kubectl(["create", "-f", deployFile])
                #expect(
                    dCode != 0
                        && dErr.contains("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.foo\""),
                    "\(dErr)")
                // Warn: stored without the field, with a warning; Ignore: stored without it, silently.
                let (wCode, _, wErr) = try h.kubectl(["apply", "--validate=warn", "-f", deployFile])
                #expect(wCode == 0 && wErr.contains("unknown field \"spec.foo\""), "\(wErr)")
                #expect(try await h.get("/apis/apps/v1/namespaces/default/deployments/extra")?.lookup(["spec", "foo"]) == nil)
                let (iCode, _, iErr) = try h.kubectl(["apply", "--validate=false", "-f", file])
                #expect(iCode == 0 && !iErr.contains("unknown field"), "\(iErr)")
                #expect(try await h.get("/api/v1/namespaces/default/configmaps/extra")?["spec"] == nil)

                // Values: 422 Invalid, every error a cause.
                let badService = """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: bad, namespace: default}
                    spec:
                      internalTrafficPolicy: Nearby
                      selector: {app: x}
                      ports: [{name: data, port: 70000, targetPort: 8080}]
                    """
                let (sCode, _, sErr) = try h.kubectl(["apply", "-f", try write(h, "svc", badService)])
                #expect(sCode != 0, "\(sErr)")
                #expect(sErr.contains("The Service \"bad\" is invalid"), "\(sErr)")
                #expect(sErr.contains("spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"), "\(sErr)")
                #expect(sErr.contains("spec.internalTrafficPolicy: Unsupported value: \"Nearby\": supported values: \"Cluster\", \"Local\""), "\(sErr)")
                let status = try await h.raw("POST", "/api/v1/namespaces/default/services", body: try YAML.load(badService, file: "svc.yaml"))
                #expect(status.status == 422)
                let st = try Value(json: status.body)
                #expect(st["reason"]?.stringValue == "Invalid")
                #expect(
                    Set(st.lookup(["details", "causes"])?.listValue?.compactMap { $0["field"]?.stringValue } ?? [])
                        == ["spec.ports[0].port", "spec.internalTrafficPolicy"])

                let badPod = """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: Bad_Name, namespace: default}
                    spec:
                      restartPolicy: Sometimes
                      containers:
                      - name: c
                        image: x
                        imagePullPolicy: Maybe
                        ports: [{name: this-name-is-far-too-long, containerPort: 0}]
                    """
                let (pCode, _, pErr) = try h.kubectl(["apply", "-f", try write(h, "pod", badPod)])
                #expect(pCode != 0)
                for expected in [
                    "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of",
                    "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                    "spec.containers[0].imagePullPolicy: Unsupported value: \"Maybe\"",
                    "spec.containers[0].ports[0].name: Invalid value: \"this-name-is-far-too-long\": must be no more than 15 characters",
                    "spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive"
                ] {
                    #expect(pErr.contains(expected), "\(expected)\n\(pErr)")
                }
                let (nCode, _, nErr) = try h.kubectl(["create", "service", "clusterip", "9lives", "--tcp=80:8080"])
                #expect(nCode != 0 && nErr.contains("a DNS-1035 label must consist of lower case alphanumeric characters"), "\(nErr)")
                let ds = """
                    apiVersion: apps/v1
                    kind: DaemonSet
                    metadata: {name: agent, namespace: default}
                    spec:
                      updateStrategy: {type: Sometimes}
                      selector: {matchLabels: {app: agent}}
                      template:
                        metadata: {labels: {app: agent}}
                        spec:
                          containers: [{name: c, image: x}]
                    """
                let (uCode, _, uErr) = try h.kubectl(["apply", "-f", try write(h, "ds", ds)])
                #expect(
                    uCode != 0
                        && uErr.contains("spec.updateStrategy.type: Unsupported value: \"Sometimes\": supported values: \"OnDelete\", \"RollingUpdate\""),
                    "\(uErr)")
            }
        }

        @Test func createServiceAndDescribe() async throws {
            try await withHelm { h in
                #expect(try ok(h, ["create", "service", "clusterip", "foo", "--tcp=80:8080"]).contains("service/foo created"))
                let svc = try #require(try await h.get("/api/v1/namespaces/default/services/foo"))
                let port = svc.lookup(["spec", "ports"])?.listValue?.first
                #expect(port?["port"]?.intValue == 80 && port?["targetPort"]?.intValue == 8080 && port?["name"]?.stringValue == "80-8080")
                #expect(svc.lookup(["spec", "selector", "app"])?.stringValue == "foo")
                let clusterIP = svc.lookup(["spec", "clusterIP"])?.stringValue ?? ""
                #expect(clusterIP.isEmpty == false)
                // (`kubectl create deployment` sends the Deployment as protobuf, which the simulator
                // does not decode: the Deployment comes from a manifest.)
                #expect(
                    try ok(h, ["apply", "-f", try write(h, "hello", deployment("hello", image: "hello:1", replicas: 2))]).contains(
                        "deployment.apps/hello created"))
                _ = try ok(h, ["rollout", "status", "deployment/hello", "--timeout=120s"])
                let describe = try ok(h, ["describe", "deployment", "hello"])
                #expect(describe.contains("Replicas:") && describe.contains("2 desired | 2 updated | 2 total | 2 available"), "\(describe)")
                let describeSvc = try ok(h, ["describe", "service", "foo"])
                #expect(describeSvc.contains("TargetPort:") && describeSvc.contains("8080/TCP"), "\(describeSvc)")
            }
        }

        @Test func logsFollowWithPrefix() async throws {
            try await withHelm { h in
                h.server.cluster.setScript(podPrefix: "talker", .log("hello\nworld\n", interval: 0.2, exitCode: 0))
                let pod = """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: talker, namespace: default}
                    spec:
                      restartPolicy: Never
                      containers: [{name: say, image: "talker:1"}]
                    """
                _ = try ok(h, ["apply", "-f", try write(h, "talker", pod)])
                // The pod runs to completion (on a busy machine it may finish before any wait for
                // Ready starts): wait for that, then follow, which prints everything and ends.
                _ = try ok(h, ["wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/talker", "--timeout=120s"])
                let out = try ok(h, ["logs", "-f", "--prefix", "pod/talker"])
                #expect(out.contains("[pod/talker/say] hello") && out.contains("[pod/talker/say] world"), "\(out)")
                let describe = try ok(h, ["describe", "pod", "talker"])
                #expect(describe.contains("Status:") && describe.contains("Succeeded"), "\(describe)")
            }
        }

        /// A chart of the test's own: a Deployment and a Service whose replica count and
        /// image come from values.
        func writeChart(_ h: HelmSession) throws -> String {
            let dir = h.home + "/tiny"
            try FileManager.default.createDirectory(atPath: dir + "/templates", withIntermediateDirectories: true)
            try "apiVersion: v2\nname: tiny\nversion: 0.1.0\n".write(toFile: dir + "/Chart.yaml", atomically: true, encoding: .utf8)
            try "replicas: 1\nimage: tiny:1\n".write(toFile: dir + "/values.yaml", atomically: true, encoding: .utf8)
            try """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: {{ .Release.Name }}-tiny}
            spec:
              replicas: {{ .Values.replicas }}
              selector: {matchLabels: {app: {{ .Release.Name }}-tiny}}
              template:
                metadata: {labels: {app: {{ .Release.Name }}-tiny}}
                spec:
                  containers: [{name: app, image: "{{ .Values.image }}", ports: [{name: http, containerPort: 8080}]}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: {{ .Release.Name }}-tiny}
            spec:
              selector: {app: {{ .Release.Name }}-tiny}
              ports: [{name: http, port: 80, targetPort: http}]
            """.write(toFile: dir + "/templates/all.yaml", atomically: true, encoding: .utf8)
            return dir
        }

        @Test func helmInstallUpgradeUninstall() async throws {
            try await withHelm { h in
                let chart = try writeChart(h)
                let (iCode, iOut, iErr) = try h.helm(["install", "demo", chart, "-n", "apps", "--create-namespace", "--wait", "--timeout", "120s"])
                #expect(iCode == 0, "\(iOut)\n\(iErr)")
                #expect(try h.releaseStatus("demo", namespace: "apps") == "deployed")
                let ready = try await h.get("/apis/apps/v1/namespaces/apps/deployments/demo-tiny")
                #expect(ready?.lookup(["status", "readyReplicas"])?.intValue == 1)

                let (uCode, uOut, uErr) = try h.helm([
                    "upgrade", "demo", chart, "-n", "apps", "--set", "replicas=2", "--set", "image=tiny:2", "--wait", "--timeout", "120s"
                ])
                #expect(uCode == 0, "\(uOut)\n\(uErr)")
                let upgraded = try await h.get("/apis/apps/v1/namespaces/apps/deployments/demo-tiny")
                #expect(upgraded?.lookup(["spec", "replicas"])?.intValue == 2)
                #expect(upgraded?.lookup(["status", "readyReplicas"])?.intValue == 2)
                #expect(upgraded?.lookup(["spec", "template", "spec", "containers"])?.listValue?.first?["image"]?.stringValue == "tiny:2")
                let (hCode, hOut, _) = try h.helm(["history", "demo", "-n", "apps"])
                #expect(hCode == 0 && hOut.contains("superseded") && hOut.contains("deployed"), "\(hOut)")

                let (dCode, dOut, dErr) = try h.helm(["uninstall", "demo", "-n", "apps", "--wait", "--timeout", "120s"])
                #expect(dCode == 0 && dOut.contains("release \"demo\" uninstalled"), "\(dOut)\n\(dErr)")
                #expect(try await h.get("/apis/apps/v1/namespaces/apps/deployments/demo-tiny") == nil)
                #expect(try await h.get("/api/v1/namespaces/apps/services/demo-tiny") == nil)
                #expect(try h.releaseStatus("demo", namespace: "apps") == nil)
            }
        }
    }
}
