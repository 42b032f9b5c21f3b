import Plan

/// Why a step runs again rather than being skipped, said on its progress line: which inputs
/// changed since it last finished, or that what it made is gone. Nothing is said for a step
/// that never ran.
public enum RerunReason {
    public static func explain(_ step: PlannedStep, record: RunState.StepRecord?, satisfied: Bool, forced: Bool) -> String? {
        guard let record else { return nil }
        switch record.status {
        case .failed: return "running again (its last run failed)"
        case .interrupted: return "running again (its last run was interrupted)"
        case .done: break
        }
        if record.hash != step.inputsHash {
            return "re-running (" + (StepInputs.changes(now: step.inputs, recorded: record.inputs) ?? "inputs changed") + ")"
        }
        if forced { return "re-running (asked for)" }
        if !satisfied { return "re-running (inputs unchanged, but what it deployed is gone or out of date)" }
        return nil
    }
}
