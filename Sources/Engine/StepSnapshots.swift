import Foundation
import Plan
import Tools

/// What each step deployed (`PlannedStep.snapshot`), one file per step, written when the step
/// finishes: `slimctl diff` compares the next render against it. 0600 in a 0700 folder, temp
/// file and rename, since values may hold secrets.
public enum StepSnapshots {
    public static func path(step: String, in dir: String) -> String { "\(dir)/\(step).json" }

    public static func save(_ step: PlannedStep, in dir: String) throws {
        guard let snapshot = step.snapshot else { return }
        try FileSystem.makeDirectory(dir, mode: 0o700)
        try AtomicFile.write(snapshot, to: path(step: step.name, in: dir), mode: 0o600)
    }

    /// The step's snapshot; nil when it never finished (or finished before snapshots were kept).
    public static func load(step: String, in dir: String) -> DeployedSnapshot? {
        FileManager.default.contents(atPath: path(step: step, in: dir)).flatMap(DeployedSnapshot.decode)
    }
}
