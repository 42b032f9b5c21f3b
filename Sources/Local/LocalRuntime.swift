import Foundation
import Tools

/// The Python side of the local target: one slim-bindings version (the one paired with the SLIM
/// release the strategy deploys, see `BindingsPairing`) in its own venv under the user's cache,
/// installed on first use. One venv per version, because nodes and apps of different versions
/// do not talk, and switching generations must not reinstall. A marker file written after a
/// complete install tells a finished venv from an interrupted one, which is redone.
public struct LocalRuntime: Sendable {
    /// The slim-bindings version this venv holds (node runtime and example apps alike).
    public var version: String
    public var venv: String
    /// `runtime/slim_node.py` of the slimctl installation.
    public var nodeScript: String

    public init(cacheDir: String, nodeScript: String, version: String) {
        self.version = version
        self.venv = "\(cacheDir)/slimctl/slim-bindings-\(version)"
        self.nodeScript = nodeScript
    }

    /// What pip installs: the examples extra brings the apps' dependencies (pydantic, prompt-toolkit).
    public var package: String { "slim-bindings[examples]==\(version)" }

    /// The default cache folder: `$XDG_CACHE_HOME` or `~/.cache`.
    public static func defaultCacheDir(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let x = env["XDG_CACHE_HOME"], !x.isEmpty { return x }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache"
    }

    /// `runtime/held_start.py`, next to the node runner: starts an app now, runs it on release.
    public var heldScript: String { (nodeScript as NSString).deletingLastPathComponent + "/held_start.py" }

    public var python: String { "\(venv)/bin/python" }
    public var binDir: String { "\(venv)/bin" }
    var marker: String { "\(venv)/.slimctl-ready" }

    public enum Health: Equatable, Sendable { case ready, missing, broken(String) }

    public func health() -> Health {
        let fm = FileManager.default
        if !fm.fileExists(atPath: venv) { return .missing }
        if !fm.fileExists(atPath: marker) { return .broken("install did not finish (no \(marker))") }
        for exe in [python, "\(binDir)/slim-bindings-p2p"] where !fm.isExecutableFile(atPath: exe) {
            return .broken("\(exe) is missing")
        }
        return .ready
    }

    public struct InstallError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Installs when missing or broken. `progress` gets one line per phase.
    public func ensure(progress: @Sendable (String) -> Void) async throws {
        switch health() {
        case .ready: return
        case .broken(let why):
            progress("the slim-bindings venv at \(venv) is broken (\(why)); reinstalling")
            try? FileManager.default.removeItem(atPath: venv)
        case .missing: break
        }
        guard let py3 = Spawn.which("python3") else {
            throw InstallError(message: "python3 not found: the local target runs SLIM through slim-bindings from PyPI (install python3 and python3-venv)")
        }
        try FileManager.default.createDirectory(atPath: (venv as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let log = venv + ".install.log"
        progress("creating a Python venv for SLIM at \(venv)")
        var rc = try await Spawn.run([py3, "-m", "venv", venv], log: log, timeout: .seconds(300))
        guard rc == 0 else {
            try? FileManager.default.removeItem(atPath: venv)
            throw InstallError(message: "python3 -m venv failed (exit \(rc)); see \(log) (on Debian: apt-get install python3-venv)")
        }
        progress("installing \(package) from PyPI (first run only)")
        rc = try await Spawn.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", package],
            log: log, timeout: .seconds(900))
        guard rc == 0 else {
            try? FileManager.default.removeItem(atPath: venv)
            throw InstallError(message: "pip install \(package) failed (exit \(rc)); last lines of \(log):\n" + tail(log))
        }
        // The marker is written last: a venv without it is an interrupted install and is redone.
        guard FileManager.default.createFile(atPath: marker, contents: Data(version.utf8)), health() == .ready else {
            throw InstallError(message: "the venv at \(venv) is not usable after install; see \(log)")
        }
        progress("slim-bindings \(version) ready")
    }

    func tail(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").suffix(8).map { "  " + $0 }.joined(separator: "\n")
    }
}
