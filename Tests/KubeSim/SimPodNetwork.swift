import Foundation
import Tools

/// Pod networking for the process-running kubelet: one Linux network namespace per pod, joined
/// to a bridge by a veth pair, so every pod has its own IP and its own port space (two SLIM
/// nodes both bind `0.0.0.0:46357`, as in a cluster). `ip netns exec` bind-mounts
/// `/etc/netns/<name>/hosts` over `/etc/hosts` for the pod's processes, which is how Service
/// names resolve without touching the apps' arguments (see `SimServiceDNS`).
///
/// Needs root and iproute2 (`ip`). Without them `start()` throws with what to install; the
/// tests that need real pods then fail, they never skip.
public final class SimPodNetwork: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The bridge's address: pods reach the API server and the host here.
    public let gateway: String
    let prefix: String
    let bridge: String
    let subnet: (Int, Int)
    let lock = NSLock()
    var nextHost = 2
    var pods: [String: (netns: String, veth: String, ip: String)] = [:]

    /// `index` picks the subnet 198.18.<index>.0/24 and the device names, so two simulators in
    /// one process do not collide; a simulator's leftovers from a killed run are removed first.
    public init(index: Int = 0) {
        prefix = "ks\(index)"
        bridge = "ksbr\(index)"
        subnet = (18, index)
        gateway = "198.\(subnet.0).\(subnet.1).1"
    }

    static func ipTool() -> String? {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @discardableResult
    func ip(_ args: [String], allowFailure: Bool = false) throws -> String {
        guard let tool = Self.ipTool() else {
            throw Failure(description: "the process-running kubelet needs iproute2's `ip` (apt-get install iproute2)")
        }
        let (code, out) = Self.run([tool] + args)
        if code != 0 && !allowFailure {
            throw Failure(description: "ip \(args.joined(separator: " ")) failed (exit \(code)): \(out.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return out
    }

    static func run(_ argv: [String]) -> (Int32, String) {
        guard let fds = try? Spawn.pipe() else { return (-1, "cannot create a pipe") }
        let pid: pid_t
        do {
            pid = try Spawn.start(argv, output: .pipes(stdout: fds.writeEnd, stderr: fds.writeEnd))
        } catch {
            close(fds.readEnd); close(fds.writeEnd)
            return (-1, "\(error)")
        }
        close(fds.writeEnd)
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds.readEnd, &buf, buf.count)
            if n > 0 { data += buf[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
        }
        close(fds.readEnd)
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        let code: Int32 = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f)
        return (code, String(decoding: data, as: UTF8.self))
    }

    /// Creates the bridge (after removing what a killed run of the same index left behind).
    public func start() throws {
        guard getuid() == 0 else {
            throw Failure(description: "the process-running kubelet needs root (network namespaces per pod); run the end-to-end tests as root")
        }
        stopAll()
        try ip(["link", "add", bridge, "type", "bridge"])
        try ip(["addr", "add", "\(gateway)/24", "dev", bridge])
        try ip(["link", "set", bridge, "up"])
    }

    /// Removes every pod namespace and the bridge; safe to call twice.
    public func stopAll() {
        let listed = (try? ip(["netns", "list"], allowFailure: true)) ?? ""
        for line in listed.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            if name.hasPrefix(prefix + "-") { removeNamespace(name) }
        }
        _ = try? ip(["link", "del", bridge], allowFailure: true)
        lock.lock(); pods.removeAll(); lock.unlock()
    }

    func removeNamespace(_ name: String) {
        // Processes a killed run left in the namespace go with it.
        let pids = ((try? ip(["netns", "pids", name], allowFailure: true)) ?? "").split(separator: "\n").compactMap { Int32($0) }
        for pid in pids { kill(pid, SIGKILL) }
        _ = try? ip(["netns", "del", name], allowFailure: true)
        try? FileManager.default.removeItem(atPath: "/etc/netns/\(name)")
    }

    /// Gives a pod its namespace and address; returns both. Idempotent per uid.
    public func attach(uid: String) throws -> (netns: String, ip: String) {
        lock.lock()
        if let p = pods[uid] { lock.unlock(); return (p.netns, p.ip) }
        let host = nextHost
        nextHost += 1
        lock.unlock()
        guard host < 255 else { throw Failure(description: "the simulated pod network is full (253 pods)") }
        let netns = "\(prefix)-\(host)"
        let veth = "\(prefix)v\(host)"
        let ipAddr = "198.\(subnet.0).\(subnet.1).\(host)"
        removeNamespace(netns)
        try ip(["netns", "add", netns])
        try ip(["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns])
        try ip(["link", "set", veth, "master", bridge])
        try ip(["link", "set", veth, "up"])
        try ip(["-n", netns, "addr", "add", "\(ipAddr)/24", "dev", "eth0"])
        try ip(["-n", netns, "link", "set", "eth0", "up"])
        try ip(["-n", netns, "link", "set", "lo", "up"])
        try ip(["-n", netns, "route", "add", "default", "via", gateway])
        try FileManager.default.createDirectory(atPath: "/etc/netns/\(netns)", withIntermediateDirectories: true)
        // Names not in the hosts file fail at once, as cluster DNS answers NXDOMAIN: the
        // resolver asks the pod's own loopback, where nothing listens.
        try "nameserver 127.0.0.1\noptions ndots:5 attempts:1 timeout:1\n"
            .write(toFile: "/etc/netns/\(netns)/resolv.conf", atomically: true, encoding: .utf8)
        lock.lock(); pods[uid] = (netns, veth, ipAddr); lock.unlock()
        return (netns, ipAddr)
    }

    /// Writes the pod's hosts file in place (same inode), so a running pod sees Service
    /// endpoints that changed after it started.
    public func writeHosts(uid: String, _ text: String) {
        lock.lock(); let p = pods[uid]; lock.unlock()
        guard let p else { return }
        let path = "/etc/netns/\(p.netns)/hosts"
        if let old = try? String(contentsOfFile: path, encoding: .utf8), old == text { return }
        guard let fh = FileHandle(forWritingAtPath: path) else {
            FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
            return
        }
        fh.truncateFile(atOffset: 0)
        fh.write(Data(text.utf8))
        try? fh.close()
    }

    public func detach(uid: String) {
        lock.lock(); let p = pods.removeValue(forKey: uid); lock.unlock()
        if let p { removeNamespace(p.netns) }
    }

    public func address(uid: String) -> String? {
        lock.lock(); defer { lock.unlock() }
        return pods[uid]?.ip
    }

    public func namespace(uid: String) -> String? {
        lock.lock(); defer { lock.unlock() }
        return pods[uid]?.netns
    }
}
