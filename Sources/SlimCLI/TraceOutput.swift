import Foundation
import Plan
import Tools

/// `-v` on stderr: each child process's argv (`run: helm upgrade --install …`) and each
/// Kubernetes API call (`api: GET /api/v1/nodes`) as it starts, through the strategy's redactor.
/// The redactor is known only once a strategy is rendered; until then (a command that renders
/// nothing) there is no secret of slimctl's to mask.
enum TraceOutput {
    private static let redactor = LockedBox<Redactor?>(nil)

    /// Installs the `Trace` sink when the run is verbose.
    static func install(_ terminal: Terminal) {
        guard terminal.verbosity == .verbose else { return }
        Trace.install { event in
            Console.shared.line(Style.err.faint(text(event, redactor: redactor.value)), to: .err)
        }
    }

    /// Secrets of the strategy just rendered, masked from here on.
    static func use(_ r: Redactor) { redactor.value = r }

    static func text(_ event: Trace.Event, redactor: Redactor?) -> String {
        let line: String
        switch event {
        case .command(let argv): line = "run: " + argv.map(shellQuoted).joined(separator: " ")
        case .request(let method, let path): line = "api: \(method) \(path)"
        }
        return redactor?.redact(line) ?? line
    }

    /// An argument as a shell would need it to be pasted back: bare when it is plain, else in
    /// single quotes.
    static func shellQuoted(_ arg: String) -> String {
        let plain =
            !arg.isEmpty
            && arg.unicodeScalars.allSatisfy { c in
                CharacterSet.alphanumerics.contains(c) || "-_./:=,@%+".unicodeScalars.contains(c)
            }
        return plain ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
