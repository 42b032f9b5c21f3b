import Foundation
import Strategy
import Values
import YAML

/// One input through the parsers that read what users type or write: the YAML loader, the
/// strategy loader and the `--set` parser. Any outcome but a crash or a hang is fine; errors
/// are the expected answer to most inputs.
func exercise(_ bytes: UnsafeBufferPointer<UInt8>) {
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? YAML.parseDocuments(text, file: "fuzz.yaml").map { try $0.resolve() }
    if let (vars, _) = try? StrategyLoader.declarations(text: text, file: "/fuzz/strategy.yaml") {
        var values: [String: String] = [:]
        for v in vars { values[v.name] = v.defaultValue ?? "x" }
        _ = try? StrategyLoader.load(text: text, file: "/fuzz/strategy.yaml", values: values)
    }
    for line in text.split(separator: "\n", maxSplits: 4, omittingEmptySubsequences: true).prefix(4) {
        for kind in [SetKind.set, .string, .json, .literal] {
            _ = try? Values.parseSet(String(line), kind: kind)
        }
    }
}

// Built for `make fuzz` (FUZZING, `-sanitize=fuzzer`) the program hands its arguments to
// libFuzzer's driver. Built normally it replays files (seeds, crash regressions) through the
// same function, so every `make test` checks the inputs that once crashed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

#if FUZZING
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
// The C symbol libFuzzer exports; its name is not ours to choose.
// swift-format-ignore: AlwaysUseLowerCamelCase
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzCallback
) -> CInt
#endif

@main
struct FuzzMain {
    static func main() {
        #if FUZZING
        var argc = CInt(CommandLine.arguments.count)
        var cargs: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
        let code = cargs.withUnsafeMutableBufferPointer { buf -> CInt in
            var argv = buf.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzzOne(data, size) })
        }
        exit(code)
        #else
        replay(CommandLine.arguments.dropFirst())
        #endif
    }

    static func replay(_ paths: ArraySlice<String>) {
        var replayed = 0
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                FileHandle.standardError.write(Data("slimctl-fuzz: \(path) does not exist\n".utf8))
                exit(2)
            }
            let files = isDir.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" } : [path]
            for f in files {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                data.withUnsafeBytes { exercise($0.bindMemory(to: UInt8.self)) }
                replayed += 1
            }
        }
        print("slimctl-fuzz: \(replayed) input(s) replayed, no crash")
    }
}
