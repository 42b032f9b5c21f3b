import Foundation

/// The command line as a shell hands it to a completion function: every word, one of them being
/// completed. Read by hand rather than by ArgumentParser because the line is unfinished — a
/// required argument still missing, the current word half typed — and the parser would refuse it.
struct CompletionWords {
    /// Values of the options on the line, under the name typed (`-n` and `--namespace` apart;
    /// `values(_:)` asks for both).
    private(set) var options: [String: [String]] = [:]
    /// Words that are neither the command path nor options or their values, in order; the word
    /// being completed is left out.
    private(set) var positionals: [String] = []
    /// The command words (`cluster`, `up`).
    private(set) var path: [String] = []

    /// `words[0]` is the program's name, as every shell passes it.
    init(_ words: [String], completing index: Int) {
        var i = 1, afterTerminator = false
        while i < words.count {
            let w = words[i]
            defer { i += 1 }
            if i == index {
                continue
            } else if afterTerminator {
                positionals.append(w)
            } else if w == "--" {
                afterTerminator = true
            } else if w.count > 1, w.hasPrefix("-") {
                i += option(w, next: i + 1 < words.count && i + 1 != index ? words[i + 1] : nil, nextExists: i + 1 < words.count)
            } else if positionals.isEmpty, Slimctl.subcommandNames(under: path).contains(w) {
                path.append(w)
            } else {
                positionals.append(w)
            }
        }
    }

    /// Records one option word; returns how many following words it consumed (its value).
    private mutating func option(_ w: String, next: String?, nextExists: Bool) -> Int {
        if w.hasPrefix("--") {
            if let eq = w.firstIndex(of: "=") {
                options[String(w[..<eq]), default: []].append(String(w[w.index(after: eq)...]))
                return 0
            }
            guard takesValue(w) else { return 0 }
            if let next { options[w, default: []].append(next) }
            return nextExists ? 1 : 0
        }
        let name = String(w.prefix(2))
        guard takesValue(name) else { return 0 }
        if w.count > 2 {  // -ndemo, -o=json
            let rest = w.dropFirst(2)
            options[name, default: []].append(String(rest.hasPrefix("=") ? rest.dropFirst() : rest))
            return 0
        }
        if let next { options[name, default: []].append(next) }
        return nextExists ? 1 : 0
    }

    /// `logs` has no values layers: its `-f` is kubectl's follow, a flag.
    private func takesValue(_ name: String) -> Bool {
        Self.valued.contains(name) && !(name == "-f" && path.first == "logs")
    }

    /// Every value given under any of `names`, in the order the names are listed.
    func values(_ names: String...) -> [String] { names.flatMap { options[$0] ?? [] }.map(Self.unquoted) }

    /// The last value given under any of `names` (the one the parser would keep).
    func last(_ names: String...) -> String? { names.compactMap { options[$0]?.last }.last.map(Self.unquoted) }

    /// The word as the shell would pass it to slimctl: surrounding quotes removed and a leading
    /// `~/` expanded, which the shell has not done yet for a line still being typed.
    static func unquoted(_ word: String) -> String {
        var w = word
        if w.count >= 2, let f = w.first, f == w.last, f == "'" || f == "\"" { w = String(w.dropFirst().dropLast()) }
        if w.hasPrefix("~/") { w = (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + w.dropFirst() }
        return w
    }

    /// Every option of every command that takes a value in the next word. The CLI tests compare
    /// this with the options of the built commands (`--experimental-dump-help`), so a new
    /// option cannot be forgotten here.
    static let valued: Set<String> = GlobalOptions.valued.union([
        "--from", "--only", "--skip", "--port-base", "--chart", "--chart-mirror", "--ca-file", "--load-image",
        "--report", "--verify-timeout", "--test-timeout", "--out", "--tail", "--since", "-s", "--strategy", "--label", "--taint"
    ])
}
