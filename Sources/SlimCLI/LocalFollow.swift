import Checks
import Foundation
import KubeTarget
import Local
import Tools
import YAML

/// `verify --watch` on the local target: the report, then one line per change (a node added,
/// cordoned or tainted, a SLIM node started, ready, stopped, a rollout's progress, a verdict
/// changing) until Ctrl-C, worded as on a cluster. Local processes have no watch API: the state
/// and the processes are looked at every 100 ms.
enum LocalVerifyWatch {
    static func run(_ s: LocalSession, json: Bool) async throws {
        Retained.interruptNote = ""
        let redactor = s.rendered.redactor
        let first = Report.redacted(s.target.verify(), redactor)
        Report.printWatchStart(first, json: json)
        var verdicts: [String: String] = [:]
        for r in first { verdicts[key(r.rule)] = "\(r.outcome) \(r.rule)" }
        var snap = s.target.snapshot()
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(100))
            let next = s.target.snapshot()
            guard next != snap else { continue }
            let changes = LocalChanges.diff(snap, next)
            snap = next
            Report.printChanges(changes, json: json, redactor: redactor)
            let time = Report.clock(Date())
            for r in Report.redacted(s.target.verify(), redactor) {
                let verdict = "\(r.outcome) \(r.rule)"
                guard verdicts[key(r.rule)] != verdict else { continue }
                verdicts[key(r.rule)] = verdict
                if json {
                    Report.printJSONLine(
                        .map([
                            "type": "verdict", "time": .string(time), "rule": .string(r.rule), "outcome": .string(r.outcome.rawValue),
                            "problems": .list(r.problems.map { .string($0) })
                        ]))
                } else {
                    print("\(time) \(Report.mark(r.outcome)) \(r.rule)" + (r.problems.first.map { " — \($0)" } ?? ""))
                }
            }
            fflush(nil)
        }
    }

    /// A rule's identity without its counts (`DaemonSet slim: 2/3 nodes ready` → `DaemonSet slim`).
    static func key(_ rule: String) -> String { String(rule.prefix { $0 != ":" }) }
}

/// `logs -f` on the local target: follows the log files of the processes it started with, and
/// of every matching process that starts later (a SLIM node a deploy adds or replaces, a
/// receiver `test` starts), from its first line; processes that exit or are removed are said on
/// stderr. The state file is read again every 100 ms: there is no watch API for processes.
enum LocalLogFollow {
    struct Followed {
        var proc: LocalState.Proc
        var target: LogTarget
        var offset: UInt64
        var partial = ""
        var exited = false
    }

    static func follow(
        _ procs: [LocalState.Proc], offsets: [UInt64], writer: inout LogWriter, statePath: String,
        matches: (LocalState.Proc) -> Bool
    ) async throws {
        func target(_ p: LocalState.Proc) -> LogTarget { LogTarget(namespace: "", pod: p.name, container: p.component, node: p.node) }
        func id(_ p: LocalState.Proc) -> String { "\(p.name)|\(p.pid)" }
        var followed: [String: Followed] = [:]
        var order: [String] = []
        for (p, o) in zip(procs, offsets) {
            followed[id(p)] = Followed(proc: p, target: target(p), offset: o)
            order.append(id(p))
        }
        while !Task.isCancelled {
            if let state = LocalState.load(statePath) {
                let now = state.processes.filter(matches)
                let ids = Set(now.map(id))
                var added = false
                for p in now where followed[id(p)] == nil {
                    followed[id(p)] = Followed(proc: p, target: target(p), offset: 0)
                    order.append(id(p))
                    added = true
                    stderr("[\(p.name) on \(p.node) started]")
                }
                if added { writer.prefix.realign(order.compactMap { followed[$0]?.target }) }
                for k in order where !ids.contains(k) {
                    guard let f = followed[k] else { continue }
                    read(&followed[k]!, &writer)
                    stderr("[\(f.proc.name) on \(f.proc.node) deleted]")
                    followed[k] = nil
                }
                order.removeAll { followed[$0] == nil }
            }
            for k in order {
                read(&followed[k]!, &writer)
                if !followed[k]!.exited && !Spawn.isAlive(followed[k]!.proc.pid) {
                    followed[k]!.exited = true
                    stderr("[\(followed[k]!.proc.name) on \(followed[k]!.proc.node) exited]")
                }
            }
            fflush(nil)
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func read(_ f: inout Followed, _ writer: inout LogWriter) {
        guard let h = FileHandle(forReadingAtPath: f.proc.logPath) else { return }
        defer { try? h.close() }
        try? h.seek(toOffset: f.offset)
        let d = h.readDataToEndOfFile()
        guard !d.isEmpty else { return }
        f.offset += UInt64(d.count)
        var parts = (f.partial + String(decoding: d, as: UTF8.self)).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        f.partial = parts.removeLast()
        for l in parts { writer.line(f.target, l, time: nil) }
    }
}
