/// A verify rule's verdict (JSON: "pass", "fail", "skipped"). Skipped: the target cannot
/// check it, and says why in the result's notes.
public enum Outcome: String, Codable, Sendable, Hashable {
    case pass, fail, skipped
}

/// A CI report case's status, as JUnit and the JSON report spell it.
public enum CaseStatus: String, Codable, Sendable, Hashable {
    case passed, failed, skipped
}
