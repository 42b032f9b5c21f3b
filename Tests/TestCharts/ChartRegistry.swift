import Foundation
import Local
import Tools

/// A real OCI registry (Debian's `docker-registry`) and a classic chart repository (a static HTTP
/// server over the charts folder and its index.yaml), both on 127.0.0.1 with their own ports and
/// storage, holding the released charts pushed with the real `helm push`: the kind/cluster tests
/// fetch charts from `oci://` and repository references exactly as users do, through slimctl's
/// chart mirror setting.
public final class ChartRegistry: @unchecked Sendable {
    public let ociPort: Int
    public let repoPort: Int
    let registryPid: pid_t
    let repoPid: pid_t
    let dir: String

    /// `ghcr.io/agntcy` → this registry (`--chart-mirror` argument).
    public var ociMirror: String { "ghcr.io/agntcy=127.0.0.1:\(ociPort)/agntcy" }
    /// SPIFFE's classic repository → the local one.
    public var repoMirror: String { "https://spiffe.github.io/helm-charts-hardened=http://127.0.0.1:\(repoPort)" }
    /// The slimctl arguments that fetch every chart from here.
    public var slimctlArgs: [String] { ["--chart-mirror", ociMirror, "--chart-mirror", repoMirror, "--plain-http"] }

    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// Starts both servers and pushes SLIM's charts (slim, slim-control-plane, slim-spire) to
    /// `oci://127.0.0.1:PORT/agntcy/slim/helm`. `helm`: the real helm binary.
    public static func start(helm: String) async throws -> ChartRegistry {
        let charts = try RealCharts.dir()
        guard let registry = Spawn.which("docker-registry") ?? ["/usr/bin/docker-registry"].first(where: FileManager.default.isExecutableFile) else {
            throw Failure(description: "docker-registry is not installed: `apt-get install docker-registry` (make test's deps do)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chart-registry-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: "\(dir)/storage", withIntermediateDirectories: true)
        var lastError = ""
        for _ in 0..<5 {
            let oci = try freePort(), repo = try freePort()
            let config = """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: \(dir)/storage
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:\(oci)
                """
            try config.write(toFile: "\(dir)/config.yml", atomically: true, encoding: .utf8)
            let rpid = try Spawn.start([registry, "serve", "\(dir)/config.yml"], output: .file("\(dir)/registry.log"))
            let hpid = try Spawn.start(
                ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", charts, String(repo)],
                output: .file("\(dir)/repo.log"))
            let r = ChartRegistry(ociPort: oci, repoPort: repo, registryPid: rpid, repoPid: hpid, dir: dir)
            if await r.waitUntilServing() {
                for file in ["slim-1.4.0.tgz", "slim-2.2.0.tgz", "slim-control-plane-1.4.0.tgz", "slim-control-plane-2.2.0.tgz", "slim-spire-2.0.0.tgz"] {
                    let (status, out) = try await Spawn.capture(
                        [helm, "push", "\(charts)/\(file)", "oci://127.0.0.1:\(oci)/agntcy/slim/helm", "--plain-http"],
                        environment: r.helmEnvironment, timeout: .seconds(120))
                    guard status == 0 else { r.stop(); throw Failure(description: "helm push \(file) failed: \(out)") }
                }
                return r
            }
            lastError =
                ((try? String(contentsOfFile: "\(dir)/registry.log", encoding: .utf8)) ?? "")
                + ((try? String(contentsOfFile: "\(dir)/repo.log", encoding: .utf8)) ?? "")
            r.stop(removing: false)
        }
        throw Failure(description: "the chart registry did not start: \(lastError.suffix(2000))")
    }

    init(ociPort: Int, repoPort: Int, registryPid: pid_t, repoPid: pid_t, dir: String) {
        self.ociPort = ociPort
        self.repoPort = repoPort
        self.registryPid = registryPid
        self.repoPid = repoPid
        self.dir = dir
    }

    /// helm keeps registry logins and caches under HOME: the registry's own folder.
    public var helmEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir
        return env
    }

    func waitUntilServing() async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard Spawn.isAlive(registryPid), Spawn.isAlive(repoPid) else { return false }
            if Self.answers(ociPort, path: "/v2/"), Self.answers(repoPort, path: "/index.yaml") { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// One HTTP GET on loopback; true on a 200.
    static func answers(_ port: Int, path: String) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { return false }
        let req = "GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(fd, &buf, buf.count, 0)
        guard n > 12 else { return false }
        return String(decoding: buf[0..<n], as: UTF8.self).contains(" 200 ")
    }

    /// A port the kernel just handed out (bound, read, released): the servers take it next.
    static func freePort() throws -> Int {
        do { return try Ports.one() } catch { throw Failure(description: "no free loopback port: \(error)") }
    }

    public func stop(removing: Bool = true) {
        for pid in [registryPid, repoPid] {
            kill(pid, SIGTERM)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
        }
        if removing { try? FileManager.default.removeItem(atPath: dir) }
    }
}
