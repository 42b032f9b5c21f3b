import Foundation

/// The certificates of a kind cluster, made with the `openssl` CLI: a cluster CA, the API
/// server's serving certificate (127.0.0.1, localhost, kubernetes) and the admin client
/// certificate (CN=kubernetes-admin, O=system:masters) kind puts in its kubeconfig. A second,
/// unrelated CA signs a "rogue" client certificate for negative tests.
public struct SimPKI: Sendable {
    public let directory: String
    public let caCert: String
    public let serverCert: String
    public let serverKey: String
    public let clientCert: String
    public let clientKey: String
    public let rogueClientCert: String
    public let rogueClientKey: String

    public var caCertPath: String { directory + "/ca.crt" }
    public var clientCertPath: String { directory + "/admin.crt" }
    public var clientKeyPath: String { directory + "/admin.key" }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private static let cache = Cache()
    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var pki: SimPKI?
    }

    /// Generated once per test process: key generation is the slow part.
    public static func shared() throws -> SimPKI {
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let p = cache.pki { return p }
        let p = try generate()
        cache.pki = p
        return p
    }

    static func openssl(_ args: [String], in dir: String) throws {
        let candidates = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"]
        guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "openssl not found: install it (apt-get install openssl) to run the simulated cluster")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "openssl \(args.joined(separator: " ")) failed: \(String(decoding: data, as: UTF8.self))")
        }
    }

    public static func generate() throws -> SimPKI {
        let dir = NSTemporaryDirectory() + "kubesim-pki-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ext =
            "subjectAltName=IP:127.0.0.1,IP:198.18.0.1,IP:198.18.1.1,IP:198.18.2.1,IP:198.18.3.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n"
        try ext.write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: dir + "/client.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=kubernetes"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=kube-apiserver"],
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "30", "-extfile",
                "server.ext"
            ],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "admin.key", "-out", "admin.csr", "-subj", "/O=system:masters/CN=kubernetes-admin"],
            [
                "x509", "-req", "-in", "admin.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "admin.crt", "-days", "30", "-extfile",
                "client.ext"
            ],
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue.crt", "-days", "30", "-subj",
                "/O=system:masters/CN=intruder"
            ]
        ]
        for s in steps { try openssl(s, in: dir) }
        func read(_ f: String) throws -> String { try String(contentsOfFile: dir + "/" + f, encoding: .utf8) }
        return SimPKI(
            directory: dir, caCert: try read("ca.crt"), serverCert: try read("server.crt"), serverKey: try read("server.key"),
            clientCert: try read("admin.crt"), clientKey: try read("admin.key"),
            rogueClientCert: try read("rogue.crt"), rogueClientKey: try read("rogue.key"))
    }
}

/// Reads the subject CN and O attributes of a DER certificate, which is all the API server's
/// x509 authenticator takes from it (user name and groups).
enum DERSubject {
    struct TLV { var tag: UInt8; var content: ArraySlice<UInt8>; var end: Int }

    static func read(_ b: [UInt8], at i: Int) -> TLV? {
        guard i + 1 < b.count else { return nil }
        let tag = b[i]
        var len = Int(b[i + 1])
        var p = i + 2
        if len & 0x80 != 0 {
            let n = len & 0x7F
            guard n <= 4, p + n <= b.count else { return nil }
            len = 0
            for k in 0..<n { len = len << 8 | Int(b[p + k]) }
            p += n
        }
        guard p + len <= b.count else { return nil }
        return TLV(tag: tag, content: b[p..<(p + len)], end: p + len)
    }

    static func children(_ b: [UInt8], _ s: ArraySlice<UInt8>) -> [TLV] {
        var out: [TLV] = []
        var i = s.startIndex
        while i < s.endIndex, let t = read(b, at: i) {
            out.append(t)
            i = t.end
        }
        return out
    }

    static func subject(der b: [UInt8]) -> (cn: String?, orgs: [String]) {
        guard let cert = read(b, at: 0), let tbs = children(b, cert.content).first else { return (nil, []) }
        var fields = children(b, tbs.content)
        if fields.first?.tag == 0xA0 { fields.removeFirst() }  // explicit version
        guard fields.count > 4 else { return (nil, []) }
        let subject = fields[4]  // serial, signature, issuer, validity, subject
        var cn: String?
        var orgs: [String] = []
        for set in children(b, subject.content) {
            for atv in children(b, set.content) {
                let parts = children(b, atv.content)
                guard parts.count == 2 else { continue }
                let oid = Array(parts[0].content)
                let value = String(decoding: parts[1].content, as: UTF8.self)
                if oid == [0x55, 0x04, 0x03] { cn = value }
                if oid == [0x55, 0x04, 0x0A] { orgs.append(value) }
            }
        }
        return (cn, orgs)
    }
}
