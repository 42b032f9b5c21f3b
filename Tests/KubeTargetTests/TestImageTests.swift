import Foundation
import KubeTarget
import Testing
import Tools

@Suite struct TestImageFiles {
    @Test func theImageTagIsTheBindingsVersionTheDockerfileInstalls() throws {
        let dockerfile = try String(contentsOfFile: "\(root)/images/test-apps/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("FROM python:3.12-slim"))
        #expect(dockerfile.contains("slim-bindings[examples]==${SLIM_BINDINGS_VERSION}"))
        let defaultPin = try #require(dockerfile.firstMatch(of: /ARG SLIM_BINDINGS_VERSION=([0-9.]+)/)).output.1
        // Every generation's image is built with its own tag as the version; the default is the default generation's.
        var tags: [String] = []
        for strategy in ["daemonset", "statefulset"] {
            let text = try String(contentsOfFile: "\(root)/strategies/\(strategy).yaml", encoding: .utf8)
            tags += text.matches(of: /slimctl\/slim-test-apps:([0-9.]+)/).map { String($0.output.1) }
        }
        #expect(Set(tags) == ["2.2.0", "1.4.1"], "\(tags)")
        #expect(defaultPin == "2.2.0")
        for tag in tags {
            #expect(TestImage(reference: "slimctl/slim-test-apps:\(tag)", buildContext: "/c").buildArgv("docker").contains("SLIM_BINDINGS_VERSION=\(tag)"))
        }
    }

    @Test func buildAndInspectArgv() {
        let image = TestImage(reference: "slimctl/slim-test-apps:1.4.1", buildContext: "/repo/images/test-apps")
        #expect(
            image.buildArgv("podman") == [
                "podman", "build", "--tag", "slimctl/slim-test-apps:1.4.1", "--build-arg", "SLIM_BINDINGS_VERSION=1.4.1", "/repo/images/test-apps"
            ])
        #expect(image.inspectArgv("docker") == ["docker", "image", "inspect", "--format", "{{.Id}}", "slimctl/slim-test-apps:1.4.1"])
        #expect(
            Kind().loadImageArgv(image: image.reference, cluster: "slim-cluster")
                == ["kind", "load", "docker-image", "slimctl/slim-test-apps:1.4.1", "--name", "slim-cluster"])
    }
}
