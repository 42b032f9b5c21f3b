import ArgumentParser

/// Options typed before the command, as kubectl and helm users do (`slimctl -n demo --target
/// kind deploy daemonset`): moved after the command's words, where the command's own parser
/// reads them. Only the shared options are moved; anything else before the command is left in
/// place, so the parser reports it as it would have.
enum GlobalOptions {
    /// Options that take a value in the next word (unless written `--name=value`).
    static let valued: Set<String> = [
        "-n", "--namespace", "--target", "--context", "--kubeconfig", "--state-dir", "-o", "--output",
        "--strategies", "--var", "-f", "--values", "--set", "--set-string", "--set-file", "--set-json",
        "--set-literal", "--generation", "--timeout"
    ]
    static let flags: Set<String> = ["--no-color", "-v", "--verbose", "-q", "--quiet"]

    /// `args` with leading shared options moved after the command path, e.g. `cluster up`.
    /// `subcommands(of:)` gives the words that continue a command path.
    static func reorder(_ args: [String], subcommands: ([String]) -> [String]) -> [String] {
        var leading: [String] = [], i = 0
        while i < args.count {
            let a = args[i]
            let name = a.hasPrefix("--") ? String(a.prefix { $0 != "=" }) : a
            if flags.contains(a) {
                leading.append(a); i += 1
            } else if valued.contains(name) {
                if a.contains("=") || i + 1 >= args.count { leading.append(a); i += 1 } else { leading += [a, args[i + 1]]; i += 2 }
            } else if name.count > 2, name.hasPrefix("-"), !name.hasPrefix("--"), valued.contains(String(name.prefix(2))) {
                leading.append(a); i += 1  // -ndemo, -ojson
            } else {
                break
            }
        }
        guard !leading.isEmpty, i < args.count, !args[i].hasPrefix("-") else { return args }
        var path = [args[i]], j = i + 1
        while j < args.count, subcommands(path).contains(args[j]) { path.append(args[j]); j += 1 }
        return path + leading + args[j...]
    }
}

extension Slimctl {
    /// The names of the subcommands under `path` (`[]` is the root).
    static func subcommandNames(under path: [String]) -> [String] {
        var command: ParsableCommand.Type = Slimctl.self
        for word in path {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == word }) else { return [] }
            command = next
        }
        // `_commandName`: the name the parser uses, also when derived from the type's name.
        return command.configuration.subcommands.map { $0._commandName }
    }
}
