import ArgumentParser
import Foundation
import YAML

/// The one writer of `-o json` and `-o yaml`: every command's structured output goes through
/// here, so there is one style everywhere (no `\/` escapes, floats to the millisecond, no
/// exponents, two-space indents). The format is set once, from the parsed command's
/// `--output`, before it runs.
enum Output {
    nonisolated(unsafe) static var format: OutputFormat = .text

    /// A whole answer: pretty JSON, or one YAML document.
    static func document(_ v: Value) -> String {
        let v = v.roundingFloats()
        return format == .yaml ? YAML.emit(v).trimmingCharacters(in: .newlines) : v.jsonString(pretty: true)
    }

    /// One item of a stream (`verify --watch`, `logs`): a compact JSON line, or a YAML document
    /// that starts with `---`, so a stream of them is a valid multi-document YAML file.
    static func streamItem(_ v: Value) -> String {
        let v = v.roundingFloats()
        return format == .yaml ? "---\n" + YAML.emit(v).trimmingCharacters(in: .newlines) : v.jsonString()
    }

    /// A Codable result as a `Value`, so it is written in the same style as the rest.
    static func value<T: Encodable>(_ x: T) -> Value {
        let e = JSONEncoder()
        // Sorted: an encoded struct's keys otherwise come out in a different order each run.
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        guard let data = try? e.encode(x), let v = try? Value(jsonBytes: Array(data)) else { return .null }
        return v
    }

    /// The `--output` of the parsed command, found by reflection: each command declares its
    /// `OutputFlags` as an option group.
    static func select(from command: Any) {
        if let found = find(in: command, depth: 0) { format = found }
    }

    private static func find(in value: Any, depth: Int) -> OutputFormat? {
        guard depth < 4 else { return nil }
        for child in Mirror(reflecting: value).children {
            if let group = child.value as? OptionGroupOutput { return group.outputFormat }
            if let found = find(in: child.value, depth: depth + 1) { return found }
        }
        return nil
    }
}

/// Lets `Output.select` read an `@OptionGroup var out: OutputFlags` without knowing the command.
protocol OptionGroupOutput { var outputFormat: OutputFormat { get } }

extension OptionGroup: OptionGroupOutput where Value == OutputFlags {
    var outputFormat: OutputFormat { wrappedValue.output }
}
