import Foundation

/// `--experimental-dump-help`, the command tree as JSON that the man page is generated from,
/// without the commands `--help` hides: the upstream slimctl's command words exist only to
/// answer "that is the other tool", and a manual listing them as commands would say otherwise.
enum DumpHelp {
    static let flag = "--experimental-dump-help"

    /// The parser's JSON with every hidden subcommand removed; nil when it cannot be read, and
    /// the parser's own text is printed as it is.
    static func withoutHidden(_ json: String) -> String? {
        guard var tool = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let command = tool["command"] as? [String: Any]
        else { return nil }
        tool["command"] = pruned(command)
        guard let data = try? JSONSerialization.data(withJSONObject: tool, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func pruned(_ command: [String: Any]) -> [String: Any] {
        var command = command
        if let subcommands = command["subcommands"] as? [[String: Any]] {
            command["subcommands"] = subcommands.filter { ($0["shouldDisplay"] as? Bool) != false }.map(pruned)
        }
        return command
    }
}
