import ArgumentParser

/// SLIM ships its own control CLI, also called `slimctl` (https://github.com/agntcy/slim,
/// `crates/slimctl`: nodes, routes, the controller, channels). Its commands, typed at this
/// slimctl, get one line saying which tool they belong to, and exit 2, instead of a bare
/// "unexpected argument".
enum UpstreamCLI {
    static let home = "https://github.com/agntcy/slim, `crates/slimctl`"
    static let commands = ["node", "controller", "route", "slim", "channel-manager", "login", "config", "bench"]

    static func refusal(_ command: String, hint: String = "") -> CLIError {
        .config(
            "`slimctl \(command)` is a command of upstream SLIM's control CLI, also named slimctl (\(home)); "
                + "this slimctl deploys SLIM by strategy" + (hint.isEmpty ? " (run the other one by its full path or under another name)" : hint))
    }

    static func configuration(_ name: String) -> CommandConfiguration {
        CommandConfiguration(commandName: name, abstract: "Not this slimctl: a command of SLIM's control CLI (\(home)).", shouldDisplay: false)
    }
}

struct UpstreamControllerCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("controller")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws { throw UpstreamCLI.refusal("controller") }
}

struct UpstreamRouteCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("route")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws { throw UpstreamCLI.refusal("route") }
}

struct UpstreamSlimCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("slim")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws { throw UpstreamCLI.refusal("slim") }
}

struct UpstreamChannelManagerCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("channel-manager")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws { throw UpstreamCLI.refusal("channel-manager") }
}

struct UpstreamLoginCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("login")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws { throw UpstreamCLI.refusal("login") }
}

struct UpstreamConfigCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("config")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws { throw UpstreamCLI.refusal("config") }
}

struct UpstreamBenchCommand: ParsableCommand {
    static let configuration = UpstreamCLI.configuration("bench")
    @Argument(parsing: .allUnrecognized) var rest: [String] = []
    func run() throws { throw UpstreamCLI.refusal("bench") }
}
