import Foundation

/// Runs the real helm binary for the differential tests. Helm is found through `SLIMCTL_HELM` or
/// `<package root>/.tools/bin/helm`; when it is missing the tests fail and say how to install it.
enum HelmRunner {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String { "helm not found at \(path): run `make tools` (or set SLIMCTL_HELM)" }
    }

    /// Tests/ValuesTests/HelmRunner.swift → package root.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let chartDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Fixtures/values-chart")

    static func helmPath() throws -> String {
        let path =
            ProcessInfo.processInfo.environment["SLIMCTL_HELM"]
            ?? packageRoot.appendingPathComponent(".tools/bin/helm").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        return path
    }

    /// A fresh directory for one case's files; the caller removes it.
    static func makeTemporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("slimctl-values-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs helm with `arguments` in `directory`. Output goes to files, not pipes, so a large
    /// output can never block the child.
    static func run(_ arguments: [String], in directory: URL) async throws -> Result {
        let helm = try helmPath()
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent(".helm-\(id).out")
        let errURL = directory.appendingPathComponent(".helm-\(id).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: helm)
            process.arguments = arguments
            process.currentDirectoryURL = directory
            // Keep helm away from the user's own config and repositories.
            var env = ProcessInfo.processInfo.environment
            env["HELM_CONFIG_HOME"] = directory.appendingPathComponent(".helm-config").path
            env["HELM_CACHE_HOME"] = directory.appendingPathComponent(".helm-cache").path
            env["HELM_DATA_HOME"] = directory.appendingPathComponent(".helm-data").path
            process.environment = env
            process.standardOutput = out
            process.standardError = err
            process.terminationHandler = { p in continuation.resume(returning: p.terminationStatus) }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        try out.close()
        try err.close()
        let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
        return Result(status: status, stdout: stdout, stderr: stderr)
    }

    /// Runs `body` over `items` with at most `width` at a time (the test machine has few cores).
    static func forEachConcurrently<T: Sendable, R: Sendable>(
        _ items: [T], width: Int = 4, _ body: @escaping @Sendable (T) async -> R
    ) async -> [R] {
        await withTaskGroup(of: (Int, R).self) { group in
            var results = [R?](repeating: nil, count: items.count)
            var next = 0
            func add() {
                guard next < items.count else { return }
                let i = next
                let item = items[i]
                group.addTask { (i, await body(item)) }
                next += 1
            }
            for _ in 0..<width { add() }
            for await (i, r) in group {
                results[i] = r
                add()
            }
            return results.compactMap { $0 }
        }
    }
}
