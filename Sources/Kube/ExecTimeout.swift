import Foundation
import Tools

/// How long a kubeconfig exec credential plugin may run. kubectl waits forever; a plugin that
/// waits for a browser login nobody will do, or a network that never answers, would then hang
/// slimctl with no output, so slimctl gives it 60 s unless `SLIMCTL_EXEC_TIMEOUT` says otherwise.
public enum ExecTimeout {
    public static let defaultSeconds: Double = 60
    public static let variable = "SLIMCTL_EXEC_TIMEOUT"

    /// `SLIMCTL_EXEC_TIMEOUT` as a Go duration (`90s`, `2m`) or a number of seconds (`30`, `2.5`);
    /// unset or empty: the default. Zero, negative or unreadable values are configuration errors.
    public static func seconds(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double {
        guard let text = environment[variable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return defaultSeconds }
        guard let s = Double(text) ?? GoDuration.parse(text), s.isFinite, s > 0 else {
            throw KubeError.config("\(variable)=\(text): expected a duration above 0, as seconds (30) or a Go duration (90s, 2m)")
        }
        return s
    }

    /// `2s`, `1.5s`, `60s`: as the messages show it.
    static func text(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
