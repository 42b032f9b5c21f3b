import Foundation
import Tools

/// The receiver/sender image (python + slim-bindings examples). On kind it is built from the
/// repository's Dockerfile with docker or podman and loaded into the nodes when missing; other
/// clusters pull the reference given in the `testImage` variable.
public struct TestImage: Sendable {
    public var reference: String
    /// Folder holding the Dockerfile (`images/test-apps`).
    public var buildContext: String
    public var environment: [String: String]?

    public init(reference: String, buildContext: String, environment: [String: String]? = nil) {
        self.reference = reference
        self.buildContext = buildContext
        self.environment = environment
    }

    /// docker if present, else podman.
    public func engine() -> String? {
        ["docker", "podman"].first { Spawn.which($0, environment: environment) != nil }
    }

    public func inspectArgv(_ engine: String) -> [String] { [engine, "image", "inspect", "--format", "{{.Id}}", reference] }
    /// The image tag names the slim-bindings version inside (`slimctl/slim-test-apps:2.2.0`), so
    /// each chart generation's apps talk to SLIM nodes of the same major version.
    public func buildArgv(_ engine: String) -> [String] {
        var a = [engine, "build", "--tag", reference]
        if let tag = reference.split(separator: ":").last, reference.contains(":"), tag.first?.isNumber == true {
            a += ["--build-arg", "SLIM_BINDINGS_VERSION=\(tag)"]
        }
        return a + [buildContext]
    }

    /// Builds the image when the engine does not have it, then lets kind load it (kind itself
    /// skips nodes that already hold the same image ID).
    public func ensureLoaded(kind: Kind, cluster: String, log: String, report: @Sendable (String) -> Void) async throws {
        guard let engine = engine() else {
            throw KubeStepError("the test image \(reference) must be built, and neither docker nor podman is installed (install one; see `slimctl doctor`)")
        }
        Log.append(log, "$ " + inspectArgv(engine).joined(separator: " ") + "\n")
        let (present, _) = try await Spawn.capture(inspectArgv(engine), environment: environment, timeout: .seconds(60))
        if present != 0 {
            report("building \(reference) with \(engine) from \(buildContext)")
            Log.append(log, "$ " + buildArgv(engine).joined(separator: " ") + "\n")
            let status = try await Spawn.run(buildArgv(engine), environment: environment, log: log)
            guard status == 0 else { throw KubeStepError("`\(engine) build` of \(reference) failed (status \(status)); see \(log)") }
        }
        report("loading \(reference) into kind cluster \(cluster)")
        try await kind.loadImage(reference, cluster: cluster, log: log)
    }
}
