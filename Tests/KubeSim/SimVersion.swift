import YAML

/// The Kubernetes release the simulator answers as: the one the tests' kubectl comes from
/// (`.tools/bin/kubectl`, v1.33.9), so version skew checks and `kubectl version` see a server of
/// the same release. Every place that names the server's version reads it from here: `/version`,
/// the OpenAPI documents' `info.version` and the nodes' kubelet version.
enum SimVersion {
    static let major = "1"
    static let minor = "33"
    static let gitVersion = "v1.33.9"
    /// Build facts of the v1.33.9 release binaries (what `kubectl version -o json` reports for
    /// the client of the same release).
    static let gitCommit = "69220b617523ac1ba5d070e74c12b5daf5e6c572"
    static let buildDate = "2026-02-26T20:22:38Z"
    static let goVersion = "go1.24.13"

    /// `GET /version` as kube-apiserver 1.33 answers it (apimachinery's `version.Info`, with the
    /// emulation and minimum compatibility versions the compatibility-version work added).
    static var info: Value {
        .map([
            "major": .string(major), "minor": .string(minor),
            "emulationMajor": .string(major), "emulationMinor": .string(minor),
            "minCompatibilityMajor": .string(major), "minCompatibilityMinor": .string(String((Int(minor) ?? 1) - 1)),
            "gitVersion": .string(gitVersion), "gitCommit": .string(gitCommit), "gitTreeState": "clean",
            "buildDate": .string(buildDate), "goVersion": .string(goVersion), "compiler": "gc", "platform": "linux/amd64"
        ])
    }
}
