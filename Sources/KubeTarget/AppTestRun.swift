import Foundation
import Kube
import YAML

/// What `slimctl test` asks of a Kubernetes run.
public struct AppTestOptions: Sendable {
    public var receiverStep: String
    public var senderStep: String
    /// Apply the receivers (test receiver, test all) or use the running ones (test sender).
    public var deployReceivers: Bool
    /// Run the sender and count (test sender, test all).
    public var runSender: Bool
    /// Leave the apps afterwards; otherwise a run that started the sender removes both steps'
    /// objects (receivers are left only by `test receiver`, by design).
    public var keep: Bool
    public var readyTimeout: Double
    /// Bound on each receiver's "listening" line once it is Ready.
    public var listenTimeout: Double
    public var senderTimeout: Double

    public init(
        receiverStep: String, senderStep: String, deployReceivers: Bool, runSender: Bool, keep: Bool,
        readyTimeout: Double, listenTimeout: Double, senderTimeout: Double
    ) {
        self.receiverStep = receiverStep
        self.senderStep = senderStep
        self.deployReceivers = deployReceivers
        self.runSender = runSender
        self.keep = keep
        self.readyTimeout = readyTimeout
        self.listenTimeout = listenTimeout
        self.senderTimeout = senderTimeout
    }
}

/// The logs and facts a run collected, for the caller to judge (Checks' `MessageVerdict`).
public struct AppTestCapture: Sendable {
    public struct Receiver: Sendable {
        public var pod: AppTest.AppPod
        /// The log since the sender started (a reused receiver's earlier messages do not count).
        public var log: String
        /// What the cluster showed about it that its log cannot: gone, restarted.
        public var note: String?
    }

    public var receivers: [Receiver] = []
    public var sender: AppTest.AppPod?
    public var senderLog = ""
    /// Set when the sender had not ended within its timeout.
    public var senderTimedOut = false
    /// Problems found outside the logs (the sender's pod never started).
    public var notes: [String] = []
    /// Oddities that only explain a failure (a receiver that never logged it was listening).
    public var warnings: [String] = []
    /// Objects deleted afterwards.
    public var removed: [String] = []
}

extension AppTest {
    /// Receivers (applied and ready, or the running ones), each listening, then the sender until
    /// it ended; the apps are removed afterwards unless kept — also when a wait failed.
    public func run(_ o: AppTestOptions, isListening: @escaping @Sendable (String) -> Bool) async throws -> AppTestCapture {
        let receiverObjects = try await objects(step: o.receiverStep)
        let senderObjects = try await objects(step: o.senderStep)
        let cleanUp = o.runSender && !o.keep
        var capture = AppTestCapture()
        do {
            try await collect(o, receiverObjects, senderObjects, isListening, into: &capture)
        } catch {
            if cleanUp {
                _ = try? await remove(senderObjects)
                _ = try? await remove(receiverObjects)
            }
            throw error
        }
        if cleanUp {
            capture.removed = try await remove(senderObjects) + remove(receiverObjects)
            report("removed the test apps: " + (capture.removed.isEmpty ? "nothing left" : capture.removed.joined(separator: ", ")))
        }
        return capture
    }

    private func collect(
        _ o: AppTestOptions, _ receiverObjects: [Value], _ senderObjects: [Value], _ isListening: @escaping @Sendable (String) -> Bool,
        into capture: inout AppTestCapture
    ) async throws {
        if o.deployReceivers {
            try await apply(receiverObjects)
            try await waitReady(receiverObjects, role: "receiver", timeout: o.readyTimeout)
        }
        let receivers = try await pods(receiverObjects)
        if receivers.isEmpty {
            guard o.deployReceivers else {
                throw AppTestError("no receiver is running: run `slimctl test receiver` first, or `test all`", kind: .config)
            }
            throw AppTestError("no receiver pod was created by step `\(o.receiverStep)` (no eligible node?)")
        }
        if !o.deployReceivers {
            // Running receivers must still be ready; a quick look, no wait.
            try await waitReady(receiverObjects, role: "receiver", timeout: 0.5)
        }
        report("receivers: " + receivers.map { "\($0.name) on \($0.node)" }.joined(separator: ", "))
        for p in await waitListening(receivers, timeout: o.listenTimeout, isListening: isListening) {
            let w =
                "receiver \(p.name) on \(p.node) never logged that it is listening within \(Self.seconds(o.listenTimeout)) (output buffered? the apps need PYTHONUNBUFFERED=1)"
            capture.warnings.append(w)
            report(w + "; starting the sender anyway")
        }
        guard o.runSender else {
            capture.receivers = receivers.map { AppTestCapture.Receiver(pod: $0, log: "", note: nil) }
            return
        }
        var baseline: [String: Int] = [:]
        for p in receivers { baseline[p.name] = ((try? await logText(p)) ?? "").split(separator: "\n", omittingEmptySubsequences: false).count - 1 }
        let sent = try await runSender(senderObjects, timeout: o.senderTimeout)
        capture.sender = sent.pod
        capture.senderLog = sent.log
        capture.senderTimedOut = sent.timedOut
        capture.notes += sent.notes
        let after = Dictionary(try await pods(receiverObjects).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in receivers {
            guard let now = after[p.name] else {
                capture.receivers.append(.init(pod: p, log: "", note: "receiver \(p.name) on \(p.node) is gone"))
                continue
            }
            let text = (try? await logText(now)) ?? ""
            if now.restarts > p.restarts {
                capture.receivers.append(
                    .init(pod: now, log: text, note: "receiver \(p.name) on \(p.node) restarted during the test (\(now.restarts) restart(s))"))
                continue
            }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let since = lines.dropFirst(max(0, min(baseline[p.name] ?? 0, lines.count))).joined(separator: "\n")
            capture.receivers.append(.init(pod: now, log: since, note: nil))
        }
    }

    public struct SenderRun: Sendable {
        public var pod: AppPod?
        public var log: String
        public var timedOut: Bool
        public var notes: [String]
    }

    /// Applies the sender (a finished one from an earlier run is deleted first: a pod cannot be
    /// run twice) and watches its pod until it ended: Succeeded, Failed, or — restartPolicy
    /// OnFailure — its first failed attempt, whose log is then the previous instance's.
    public func runSender(_ objects: [Value], timeout: Double) async throws -> SenderRun {
        guard let w = workloads(objects).first else { throw AppTestError("the sender step has no Pod or workload to run", kind: .config) }
        _ = try await remove(objects.filter { Readiness.workloadKinds.contains($0["kind"]?.stringValue ?? "") })
        try await apply(objects)
        report("sender \(w.kind) \(w.namespace)/\(w.name) started; waiting up to \(Self.seconds(timeout)) for it to finish")
        let ended = try await Self.within(timeout) { [client, report] in
            try await Self.waitEnded(client, w, report: report)
        }
        guard let (final, previous) = ended else {
            let v = try await AppDiagnosis.pods(client, w).first
            let p = v.map(Pod.init)
            let pod = p.map {
                AppPod(
                    name: $0.metadata.name, namespace: $0.metadata.namespace ?? w.namespace, node: $0.nodeName ?? "(not scheduled)",
                    container: $0.containers.first, restarts: $0.restarts)
            }
            let started = p?.containerStatuses.contains { $0.running || $0.terminatedReason != nil || $0.restartCount > 0 } ?? false
            if let p, !started {
                return SenderRun(
                    pod: pod, log: "", timedOut: false,
                    notes: ["sender never started within \(Self.seconds(timeout)): " + AppDiagnosis.describe(p, events: try await events(of: p))])
            }
            var log = ""
            if let pod { log = (try? await logText(pod)) ?? "" }
            return SenderRun(pod: pod, log: log, timedOut: true, notes: [])
        }
        let p = Pod(final)
        let pod = AppPod(
            name: p.metadata.name, namespace: p.metadata.namespace ?? w.namespace, node: p.nodeName ?? "(not scheduled)",
            container: p.containers.first, restarts: p.restarts)
        let log = (try? await logText(pod, previous: previous)) ?? ""
        let status = p.containerStatuses.first
        let code =
            status?.exitCode
            ?? (final.lookup(["status", "containerStatuses"])?.listValue?.first?
                .lookup(["lastState", "terminated", "exitCode"])?.intValue.map { Int($0) })
        report("sender \(pod.name) on \(pod.node) ended: \(p.phase == "Running" ? "failed, restarting" : p.phase)" + (code.map { ", exit code \($0)" } ?? ""))
        return SenderRun(pod: pod, log: log, timedOut: false, notes: [])
    }

    func events(of p: Pod) async throws -> [Event] {
        let all = try await client.list(apiVersion: "v1", kind: "Event", namespace: p.metadata.namespace ?? client.namespace).items.map(Event.init)
        return all.filter { $0.involvedKind == "Pod" && $0.involvedName == p.metadata.name }
    }

    /// Watches the sender's pod until it ended; returns it and whether its log is now the
    /// previous container instance's (it failed and was restarted).
    static func waitEnded(_ c: KubeClient, _ w: Workload, report: @Sendable (String) -> Void) async throws -> (Value, Bool) {
        func ended(_ v: Value) -> (Value, Bool)? {
            let p = Pod(v)
            if p.phase == "Succeeded" || p.phase == "Failed" { return (v, false) }
            if p.containerStatuses.contains(where: { $0.terminatedReason != nil }) { return (v, false) }
            // Backing off after a failed run (OnFailure): that run is still the latest container,
            // its log the current one; once restarted, it is the previous instance's.
            if p.containerStatuses.contains(where: { $0.lastTerminatedReason != nil && !$0.running }) { return (v, false) }
            if p.containerStatuses.contains(where: { $0.restartCount > 0 || $0.lastTerminatedReason != nil }) { return (v, true) }
            return nil
        }
        let selector =
            w.kind == "Pod"
            ? (label: nil as String?, field: "metadata.name=\(w.name)" as String?)
            : (
                label: (w.object.lookup(["spec", "selector", "matchLabels"])?.mapValue ?? [:]).compactMap { k, v in v.stringValue.map { "\(k)=\($0)" } }
                    .sorted().joined(separator: ","), field: nil
            )
        let first = try await c.list(apiVersion: "v1", kind: "Pod", namespace: w.namespace, labelSelector: selector.label, fieldSelector: selector.field)
        for v in first.items { if let e = ended(v) { return e } }
        for try await event in c.watch(
            apiVersion: "v1", kind: "Pod", namespace: w.namespace, labelSelector: selector.label,
            fieldSelector: selector.field, resourceVersion: first.resourceVersion)
        {
            switch event {
            case .added(let v), .modified(let v): if let e = ended(v) { return e }
            case .relisted(let items): for v in items { if let e = ended(v) { return e } }
            case .deleted(let v): report("sender pod \(Pod(v).metadata.name) was deleted while it ran")
            case .bookmark: continue
            }
        }
        try Task.checkCancellation()
        throw AppTestError("the watch on the sender's pod ended before it finished")
    }
}
