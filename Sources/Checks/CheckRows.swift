extension CheckResult.Row {
    /// Public so a target that reads pods another way (the Kubernetes one) can build the same
    /// table rows the checks do (the memberwise initializer is internal).
    public static func make(node: String, pod: String, status: String, ageSeconds: Double, restarts: Int = 0) -> CheckResult.Row {
        CheckResult.Row(node: node, pod: pod, status: status, ageSeconds: ageSeconds, restarts: restarts)
    }
}
