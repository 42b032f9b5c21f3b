import Foundation
import KubeSim

// `make bench`: every figure side by side with the tool a user would use instead, measured in
// the same run on the same machine; a table on stdout and bench/results.json.
//   slimctl-bench [--quick] [--only startup,readiness,scale,logs,logs-memory,local,deploy] [--out bench/results.json]

var quick = false
var only: Set<String>?
var outPath = "bench/results.json"
var serve: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--quick": quick = true
    case "--only": only = Set((args.popFirst() ?? "").split(separator: ",").map(String.init))
    case "--out": outPath = args.popFirst() ?? outPath
    case "--serve": serve = args.popFirst()
    default:
        FileHandle.standardError.write(
            Data("usage: slimctl-bench [--quick] [--only startup,readiness,scale,logs,logs-memory,local,deploy] [--out file]\n".utf8))
        exit(2)
    }
}

let bench: Bench
do {
    bench = try Bench.locate(quick: quick)
} catch {
    FileHandle.standardError.write(Data("bench: \(error)\n".utf8))
    exit(3)
}

// `--serve scale` keeps the verify-at-scale cluster up and prints its kubeconfig, to profile
// slimctl against it by hand (perf, heaptrack, …).
if serve == "scale" {
    let server = try await KubeSimServer.start()
    try bench.loadScaleCluster(server.cluster)
    let path = bench.tempDir("serve") + "/kubeconfig"
    try server.kubeconfig().write(toFile: path, atomically: true, encoding: .utf8)
    print("scale cluster ready: KUBECONFIG=\(path) (Ctrl-C to stop)")
    fflush(nil)
    while true { try await Task.sleep(for: .seconds(3600)) }
}

var figures: [Figure] = []
var failures: [String] = []
let all: [(String, () async throws -> [Figure])] = [
    ("startup", { try bench.startupAndRender() }),
    ("readiness", { try await bench.readinessLatency() }),
    ("scale", { try await bench.verifyAtScale() }),
    ("logs", { try await bench.logsThroughput() }),
    ("logs-memory", { try await bench.logsStoppedReader() }),
    ("local", { try bench.localDeployAndTest() }),
    ("deploy", { try await bench.deployToReady() })
]
for (name, run) in all where only?.contains(name) ?? true {
    print("running \(name) …")
    fflush(nil)
    do {
        figures += try await run()
    } catch {
        failures.append("\(name): \(error)")
        print("  \(name) FAILED: \(error)")
    }
}

print("")
Table.print(figures)
let formatter = ISO8601DateFormatter()
var uts = utsname()
uname(&uts)
let machine = withUnsafeBytes(of: &uts.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
let results = Results(
    date: formatter.string(from: Date()),
    machine: "\(machine), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / (1 << 30)) GiB",
    figures: figures)
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
if let data = try? encoder.encode(results) {
    let dir = (outPath as NSString).deletingLastPathComponent
    if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    let tmp = outPath + ".tmp"
    if FileManager.default.createFile(atPath: tmp, contents: data + Data("\n".utf8)), rename(tmp, outPath) == 0 {
        print("\nwrote \(outPath)")
    }
}
if !failures.isEmpty {
    print("\nbenchmarks that could not run:")
    for f in failures { print("  \(f)") }
    exit(1)
}
