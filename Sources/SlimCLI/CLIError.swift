import Engine
import Foundation
import Local
import Plan
import Strategy
import Tools
import Values
import YAML

/// Exit codes, stable and documented (Docs/user-guide.md): scripts and CI depend on them.
enum ExitCode: Int32 {
    case ok = 0
    case failed = 1
    case config = 2
    case environment = 3
    case interrupted = 130
}

enum CLIError: Error, CustomStringConvertible {
    case config(String)
    case environment(String)
    case failed(String)
    /// Already reported (e.g. a failing verify table); only the exit code is left to give.
    case silent(ExitCode)

    var description: String {
        switch self {
        case .config(let s), .environment(let s), .failed(let s): return s
        case .silent: return ""
        }
    }
}

enum ErrorReport {
    static func classify(_ error: Error) -> (ExitCode, String) {
        switch error {
        case let e as CLIError:
            switch e {
            case .config(let s): return (.config, s)
            case .environment(let s): return (.environment, s)
            case .failed(let s): return (.failed, s)
            case .silent(let c): return (c, "")
            }
        case is StrategyErrors, is StrategyError, is YAMLError, is ValuesError, is RenderError,
            is Placeholders.Unknown, is Placeholders.Unterminated, is EngineUsageError, is ReleasePrefix.Unknown,
            is FileProblem, is UTF8Text.Invalid:
            return (.config, "\(error)")
        case is LocalRuntime.InstallError, is Spawn.Failure:
            return (.environment, "\(error)")
        case let f as CommandFailure where f.status == nil:
            // The tool could not be started (not found, not executable).
            return (.environment, "\(f)")
        case is CancellationError:
            return (.interrupted, "interrupted")
        default:
            if let words = FoundationErrorText.describe(error) { return (.config, words) }
            return (.failed, "\(error)")
        }
    }

    /// An error's message as printed: never Foundation's own text.
    static func describe(_ error: Error) -> String {
        let (_, message) = classify(error)
        return message.isEmpty ? "\(error)" : message
    }
}
