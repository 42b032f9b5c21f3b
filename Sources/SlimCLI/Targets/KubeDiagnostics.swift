import Checks
import Engine
import Foundation
import Kube
import KubeTarget
import Tools
import YAML

/// What a person needs to understand a failed run once tear-down has removed it: every pod of
/// the strategy's namespaces with its status, the namespaces' events, each container's last 200
/// log lines, the plan and the rendered values — secrets masked everywhere, files 0600.
enum KubeDiagnostics {
    static func collect(_ s: KubeSession, into dir: String) async {
        let r = s.rendered.redactor
        guard let client = try? s.client() else { return }
        let namespaces = KubeTeardown(rendered: s.rendered, config: s.config()).namespaces()
        var pods: [Value] = []
        var events: [Value] = []
        for ns in namespaces {
            pods += (try? await client.list(apiVersion: "v1", kind: "Pod", namespace: ns).items) ?? []
            events += (try? await client.list(apiVersion: "v1", kind: "Event", namespace: ns).items) ?? []
        }
        write(r.redact(Value.list(pods).jsonString(pretty: true)), to: "\(dir)/pods.json")
        write(r.redact(Value.list(events).jsonString(pretty: true)), to: "\(dir)/events.json")
        for p in pods {
            let pod = Pod(p)
            for c in pod.containers {
                var lines: [String] = []
                do {
                    for try await l in client.logs(pod: pod.metadata.name, namespace: pod.metadata.namespace, options: LogOptions(container: c, tailLines: 200))
                    {
                        lines.append(r.redact(l))
                    }
                } catch {
                    lines.append("(logs not available: \(error))")
                }
                write(lines.joined(separator: "\n") + "\n", to: "\(dir)/logs/\(pod.metadata.namespace ?? "")_\(pod.metadata.name)_\(c).log")
            }
        }
        Diagnostics.writePlanAndValues(s.rendered, plan: s.plan, into: dir)
    }

    static func write(_ text: String, to path: String) {
        try? AtomicFile.write(text, to: path, mode: 0o600)
    }
}
