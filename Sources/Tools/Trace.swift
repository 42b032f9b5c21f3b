import Foundation

/// `slimctl -v`: what slimctl does to the outside world as it does it — every child process it
/// starts and every Kubernetes API call. One process-wide sink, installed by the CLI at start-up,
/// because the places that start processes and send requests (`Spawn`, the Kube client) are many
/// layers below the command that knows about `-v`; threading a flag through every layer would
/// touch every signature for a diagnostic. Without a sink, emitting costs one lock.
public enum Trace {
    public enum Event: Sendable, Equatable {
        /// A child process about to start, argv as given to posix_spawn.
        case command([String])
        /// A Kubernetes API request about to be sent: method and path (with its query).
        case request(method: String, path: String)
    }

    private static let box = SinkBox()

    /// Set around a child whose arguments may carry credentials (a kubeconfig's exec plugin can
    /// take a token as an argument): its trace line shows the program and how many arguments
    /// were left out, never the arguments.
    @TaskLocal public static var hideArguments = false

    /// `argv` as a trace line may show it.
    public static func shown(_ argv: [String]) -> [String] {
        guard hideArguments, argv.count > 1 else { return argv }
        return [argv[0], "(\(argv.count - 1) argument(s) not shown: they may hold credentials)"]
    }

    /// Installs (or, with nil, removes) the sink; events before that go nowhere.
    public static func install(_ sink: (@Sendable (Event) -> Void)?) { box.set(sink) }

    public static func emit(_ event: @autoclosure () -> Event) {
        guard let sink = box.get() else { return }
        sink(event())
    }

    final class SinkBox: @unchecked Sendable {
        private let lock = NSLock()
        private var sink: (@Sendable (Event) -> Void)?
        func set(_ s: (@Sendable (Event) -> Void)?) { lock.lock(); sink = s; lock.unlock() }
        func get() -> (@Sendable (Event) -> Void)? { lock.lock(); defer { lock.unlock() }; return sink }
    }
}
