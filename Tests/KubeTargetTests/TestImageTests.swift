import Foundation
import KubeTarget
import Testing
import Tools

@Suite struct TestImageFiles {
    @Test func dockerfilePinsTheBindingsTheStrategiesImageNames() throws {
        let dockerfile = try String(contentsOfFile: "\(root)/images/test-apps/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("FROM python:3.12-slim"))
        let pin = try #require(dockerfile.firstMatch(of: /slim-bindings\[examples\]==([0-9.]+)/)).output.1
        for strategy in ["daemonset", "statefulset"] {
            let text = try String(contentsOfFile: "\(root)/strategies/\(strategy).yaml", encoding: .utf8)
            #expect(text.contains("slimctl/slim-test-apps:\(pin)"), "strategy \(strategy)'s testImage must be the image of this Dockerfile")
        }
    }

    @Test func buildAndInspectArgv() {
        let image = TestImage(reference: "slimctl/slim-test-apps:1.4.1", buildContext: "/repo/images/test-apps")
        #expect(image.buildArgv("podman") == ["podman", "build", "--tag", "slimctl/slim-test-apps:1.4.1", "--build-arg", "SLIM_BINDINGS_VERSION=1.4.1", "/repo/images/test-apps"])
        #expect(image.inspectArgv("docker") == ["docker", "image", "inspect", "--format", "{{.Id}}", "slimctl/slim-test-apps:1.4.1"])
        #expect(Kind().loadImageArgv(image: image.reference, cluster: "slim-cluster")
                == ["kind", "load", "docker-image", "slimctl/slim-test-apps:1.4.1", "--name", "slim-cluster"])
    }
}
