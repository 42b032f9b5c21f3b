import Foundation
import Plan
import Tools

/// What has been done, per strategy and target: finished steps with the hash of their inputs.
/// Re-running skips a finished step whose inputs are unchanged and redoes a changed one.
/// Where a step's last run ended.
public enum StepStatus: String, Codable, Sendable {
    case done, failed, interrupted
}

public struct RunState: Codable, Sendable {
    public struct StepRecord: Codable, Sendable {
        public var hash: String
        public var status: StepStatus
        public var finishedAt: Date
        public var seconds: Double
        public var message: String?
        /// Each input's own hash (`PlannedStep.inputs`), so the next run can say which changed;
        /// nil in records written before inputs were kept.
        public var inputs: [StepInput]? = nil
    }

    public var strategy: String
    public var target: String
    public var steps: [String: StepRecord] = [:]

    public init(strategy: String, target: String) {
        self.strategy = strategy
        self.target = target
    }

    public static func load(_ path: String) -> RunState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return try? d.decode(RunState.self, from: data)
    }

    /// Written to a temp file and renamed, so an interrupt never leaves half a state file.
    public func save(_ path: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        try AtomicFile.write(try e.encode(self), to: path, mode: 0o600)
    }
}

/// Files slimctl writes (state, rendered values, reports): temp file + rename, so an interrupt
/// never leaves half a file; a failure is a `FileProblem` naming the path and the cause.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: Int = 0o644) throws {
        try FileSystem.writeAtomically(data, to: path, mode: mode)
    }

    public static func write(_ text: String, to path: String, mode: Int = 0o644) throws {
        try write(Data(text.utf8), to: path, mode: mode)
    }
}
