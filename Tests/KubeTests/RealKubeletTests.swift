import Foundation
import Kube
import KubeSim
import Testing
import YAML

/// The process-running kubelet, driven with the real kubectl: real processes in per-pod network
/// namespaces, their output as container logs, restarts with back-off, mounts that wait for
/// their sources, env from the downward API and Secrets, Service names, graceful deletion, and
/// the service-account files an in-cluster client uses. Needs root (network namespaces): as
/// root-less, these fail with what to do; they never skip.
@Suite(.serialized) struct RealKubelet {
    static let image = "kubesim/host:1"

    func withRealCluster(backOff: Double = 0.5, _ body: (HelmSession) async throws -> Void) async throws {
        var images = SimImageTable()
        images.exact[Self.image] = .host
        let runtime = SimRuntime(images: images, network: SimPodNetwork(index: 1))
        runtime.backOffBase = backOff
        runtime.backOffMax = 4 * backOff
        var options = SimOptions()
        options.runtime = runtime
        try await withCluster(options) { server, client, kubeconfig in
            server.cluster.setNodes([.init(name: "node-a"), .init(name: "node-b")])
            chmod(kubeconfig, 0o600)
            try await body(HelmSession(server: server, client: client, kubeconfig: kubeconfig, home: tempDir()))
        }
    }

    func apply(_ s: HelmSession, _ yaml: String) throws {
        let file = s.home + "/m-\(UUID().uuidString.prefix(6)).yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let r = try s.kubectl(["apply", "-f", file])
        #expect(r.code == 0, "\(r.err)")
    }

    func pod(_ s: HelmSession, _ name: String, ns: String = "default") async throws -> Value? {
        try await s.get("/api/v1/namespaces/\(ns)/pods/\(name)")
    }

    func logs(_ s: HelmSession, _ args: [String]) throws -> String {
        let r = try s.kubectl(["logs"] + args)
        return r.out + r.err
    }

    func pin(_ node: String) -> String { "nodeName: \(node)" }

    @Test func outputIsTheLogAndAnExitRestartsWithBackOffKeepingThePreviousLog() async throws {
        try await withRealCluster { s in
            try apply(
                s,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: crasher}
                spec:
                  nodeName: node-a
                  containers:
                    - name: main
                      image: \(Self.image)
                      command: ["/bin/sh", "-c", "echo started at $(date +%s%N); echo to-stderr >&2; sleep 0.3; exit 3"]
                """)
            try await s.eventually("a restart") {
                let st = try await pod(s, "crasher")?[path: ["status", "containerStatuses"]]?.listValue?.first
                return (st?["restartCount"]?.intValue ?? 0) >= 1 && st?[path: ["lastState", "terminated", "exitCode"]]?.intValue == 3
            }
            let previous = try logs(s, ["crasher", "--previous"])
            #expect(previous.contains("started at") && previous.contains("to-stderr"), "\(previous)")
            try await s.eventually("CrashLoopBackOff between restarts") {
                let st = try await pod(s, "crasher")?[path: ["status", "containerStatuses"]]?.listValue?.first
                return st?[path: ["state", "waiting", "reason"]]?.stringValue == "CrashLoopBackOff"
            }
            let events = try s.kubectl(["get", "events", "--field-selector", "involvedObject.name=crasher", "-o", "json"]).out
            #expect(events.contains("BackOff"), "\(events)")
        }
    }

    @Test func aMissingConfigMapKeepsThePodCreatingUntilItExists() async throws {
        try await withRealCluster { s in
            try apply(
                s,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: mounter}
                spec:
                  nodeName: node-a
                  containers:
                    - name: main
                      image: \(Self.image)
                      # Paths are translated where they are arguments (the simulator has no per-pod root
                      # file system): the file is handed to the script as $0.
                      command: ["/bin/sh", "-c", 'cat "$0"; echo; sleep 300', "/etc/cfg/greeting"]
                      volumeMounts: [{name: cfg, mountPath: /etc/cfg}]
                  volumes:
                    - name: cfg
                      configMap: {name: later}
                """)
            try await s.eventually("FailedMount") {
                let ev = try s.kubectl(["get", "events", "--field-selector", "involvedObject.name=mounter", "-o", "json"]).out
                return ev.contains("FailedMount") && ev.contains("configmap \\\"later\\\" not found")
            }
            let waiting = try await pod(s, "mounter")?[path: ["status", "containerStatuses"]]?.listValue?.first?[path: ["state", "waiting", "reason"]]?
                .stringValue
            #expect(waiting == "ContainerCreating")
            #expect(try await pod(s, "mounter")?[path: ["status", "phase"]]?.stringValue == "Pending")
            try apply(
                s,
                """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: later}
                data: {greeting: hello-from-the-configmap}
                """)
            do {
                try await s.eventually("the file in the log") { try logs(s, ["mounter"]).contains("hello-from-the-configmap") }
            } catch {
                let st = try await pod(s, "mounter")?[path: ["status"]]?.jsonString() ?? "no pod"
                Issue.record("\(error): logs \(try logs(s, ["mounter"])), status \(st)")
            }
            #expect(try await pod(s, "mounter")?[path: ["status", "phase"]]?.stringValue == "Running")
        }
    }

    @Test func anUnknownImageIsImagePullBackOff() async throws {
        try await withRealCluster { s in
            try apply(
                s,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: nopull}
                spec:
                  nodeName: node-a
                  containers: [{name: main, image: "example.invalid/nothing:1"}]
                """)
            try await s.eventually("ImagePullBackOff") {
                let st = try await pod(s, "nopull")?[path: ["status", "containerStatuses"]]?.listValue?.first
                return st?[path: ["state", "waiting", "reason"]]?.stringValue == "ImagePullBackOff"
            }
        }
    }

    @Test func envComesFromTheDownwardAPIAndSecretsAndExpandsInArgs() async throws {
        try await withRealCluster { s in
            try apply(
                s,
                """
                apiVersion: v1
                kind: Secret
                metadata: {name: creds}
                stringData: {token: s3cr3t-value}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: envy, labels: {tier: back}}
                spec:
                  nodeName: node-b
                  restartPolicy: Never
                  containers:
                    - name: main
                      image: \(Self.image)
                      env:
                        - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                        - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
                        - {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                        - {name: TIER, valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}}
                        - {name: TOKEN, valueFrom: {secretKeyRef: {name: creds, key: token}}}
                        - {name: BOTH, value: "$(POD)@$(NODE)"}
                        - {name: LITERAL, value: "$$(NOPE)"}
                      command: ["/bin/sh", "-c"]
                      args: ["echo pod=$POD node=$NODE tier=$TIER both=$BOTH arg=$(TOKEN) kept=$LITERAL ip=$IP; hostname -I 2>/dev/null || true"]
                """)
            try await s.eventually("Succeeded") { try await pod(s, "envy")?[path: ["status", "phase"]]?.stringValue == "Succeeded" }
            let out = try logs(s, ["envy"])
            #expect(out.contains("pod=envy node=node-b tier=back both=envy@node-b arg=s3cr3t-value kept=$(NOPE)"), "\(out)")
            let ip = try await pod(s, "envy")?[path: ["status", "podIP"]]?.stringValue ?? "none"
            #expect(out.contains("ip=\(ip)"), "\(out) vs \(ip)")
        }
    }

    @Test func serviceNamesResolveToReadyEndpointsAndLocalPolicyStaysOnTheNode() async throws {
        try await withRealCluster { s in
            var pods = ""
            for node in ["node-a", "node-b"] {
                pods += """
                    ---
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: web-\(node), labels: {app: web}}
                    spec:
                      nodeName: \(node)
                      containers:
                        - name: web
                          image: \(Self.image)
                          command: ["python3", "-m", "http.server", "8080"]
                          readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}

                    """
            }
            try apply(
                s,
                pods + """
                    ---
                    apiVersion: v1
                    kind: Service
                    metadata: {name: web-local}
                    spec: {selector: {app: web}, internalTrafficPolicy: Local, ports: [{port: 8080}]}
                    """)
            try await s.eventually("both servers ready") {
                var ready = 0
                for node in ["node-a", "node-b"] where try await pod(s, "web-\(node)")?.conditions["Ready"] == "True" { ready += 1 }
                return ready == 2
            }
            let ipA = try await pod(s, "web-node-a")?[path: ["status", "podIP"]]?.stringValue ?? "?"
            let ipB = try await pod(s, "web-node-b")?[path: ["status", "podIP"]]?.stringValue ?? "?"
            for (node, ip) in [("node-a", ipA), ("node-b", ipB)] {
                try apply(
                    s,
                    """
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: client-\(node)}
                    spec:
                      nodeName: \(node)
                      restartPolicy: Never
                      containers:
                        - name: c
                          image: \(Self.image)
                          command: ["/bin/sh", "-c", "getent hosts web-local.default.svc.cluster.local; getent hosts kubernetes.default.svc; python3 -c \\"import urllib.request; print('status', urllib.request.urlopen('http://web-local:8080/').status)\\""]
                    """)
                try await s.eventually("client on \(node) done") {
                    ["Succeeded", "Failed"].contains(try await pod(s, "client-\(node)")?[path: ["status", "phase"]]?.stringValue ?? "")
                }
                let out = try logs(s, ["client-\(node)"])
                #expect(out.contains("\(ip) ") && out.contains("status 200"), "client on \(node): \(out)")
                #expect(out.contains("kubernetes.default.svc"), "\(out)")
            }
        }
    }

    @Test func deletionSendsSIGTERMAndThePodGoesWhenTheProcessExits() async throws {
        try await withRealCluster { s in
            try apply(
                s,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: graceful}
                spec:
                  nodeName: node-a
                  containers:
                    - name: main
                      image: \(Self.image)
                      command: ["/bin/sh", "-c", "trap 'echo got-term; exit 0' TERM; echo up; while true; do sleep 0.1; done"]
                """)
            try await s.eventually("running") { try logs(s, ["graceful"]).contains("up") }
            let follow = try Process.run(
                URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", "KUBECONFIG=\(s.kubeconfig) \(RealCharts.repoRoot)/.tools/bin/kubectl logs -f graceful > \(s.home)/follow.log 2>&1"])
            try await s.eventually("the follower is attached") { s.server.cluster.logFollowerCount(pod: "graceful") > 0 }
            let r = try s.kubectl(["delete", "pod", "graceful", "--wait=true", "--timeout=60s"])
            #expect(r.code == 0, "\(r.err)")
            #expect(try await pod(s, "graceful") == nil)
            follow.waitUntilExit()
            let followed = (try? String(contentsOfFile: "\(s.home)/follow.log", encoding: .utf8)) ?? ""
            #expect(followed.contains("got-term"), "the container saw SIGTERM and its last line reached the follower: \(followed)")
        }
    }

    @Test func aPodReachesTheAPIServerWithItsServiceAccount() async throws {
        try await withRealCluster { s in
            try apply(
                s,
                """
                apiVersion: v1
                kind: Pod
                metadata: {name: incluster}
                spec:
                  nodeName: node-b
                  restartPolicy: Never
                  containers:
                    - name: main
                      image: \(Self.image)
                      command: ["python3", "-c"]
                      args:
                        - |
                          import os, ssl, urllib.request
                          d = "/var/run/secrets/kubernetes.io/serviceaccount"
                          token = open(d + "/token").read()
                          ns = open(d + "/namespace").read()
                          ctx = ssl.create_default_context(cafile=d + "/ca.crt")
                          url = "https://%s:%s/api/v1/namespaces/%s/pods" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"], ns)
                          req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
                          print("api", urllib.request.urlopen(req, context=ctx).status, ns)
                """)
            try await s.eventually("done") {
                ["Succeeded", "Failed"].contains(try await pod(s, "incluster")?[path: ["status", "phase"]]?.stringValue ?? "")
            }
            let out = try logs(s, ["incluster"])
            #expect(out.contains("api 200 default"), "\(out)")
            #expect(
                !FileManager.default.fileExists(atPath: "/var/run/secrets/kubernetes.io/serviceaccount/token"),
                "the service-account files are mounted only inside the pod's mount namespace")
        }
    }
}
