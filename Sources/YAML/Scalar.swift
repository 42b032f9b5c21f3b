/// What a scalar means before the YAML→JSON step. Kept apart from `Value` because map keys need
/// the distinctions JSON later erases (an unsigned 64-bit key is an error in Helm, a float key is
/// printed with float32 precision).
enum Scalar: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Integers in 2^63..<2^64: go-yaml keeps them as uint64, JSON turns them into float64.
    case uint(UInt64)
    case float(Double)
    case string(String)
    /// A plain `<<`: only meaningful as a mapping key.
    case merge
}

/// Helm reads values with go-yaml v2 (YAML 1.1 booleans, Go's `strconv` number syntax), so this
/// mirrors that resolver rule for rule rather than the YAML 1.2 core schema. Behaviour was
/// measured against helm v4.1.4 (see the resolution table in the tests).
enum ScalarResolver {
    static let strTag = "!!str", boolTag = "!!bool", intTag = "!!int", floatTag = "!!float"
    static let nullTag = "!!null", timestampTag = "!!timestamp", binaryTag = "!!binary", mergeTag = "!!merge"

    private static let words: [String: Scalar] = {
        var m: [String: Scalar] = [:]
        for s in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] { m[s] = .bool(true) }
        for s in ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"] { m[s] = .bool(false) }
        for s in ["", "~", "null", "Null", "NULL"] { m[s] = .null }
        for s in [".nan", ".NaN", ".NAN"] { m[s] = .float(.nan) }
        for s in [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"] { m[s] = .float(.infinity) }
        for s in ["-.inf", "-.Inf", "-.INF"] { m[s] = .float(-.infinity) }
        m["<<"] = .merge
        return m
    }()

    /// `tag:yaml.org,2002:int` → `!!int`, as go-yaml compares tags in short form.
    static func shortTag(_ tag: String) -> String {
        let prefix = "tag:yaml.org,2002:"
        if tag.hasPrefix(prefix) { return "!!" + tag.dropFirst(prefix.count) }
        return tag
    }

    /// Resolves one scalar node. Quoted and block scalars without a tag are always strings.
    static func resolve(_ text: String, style: Node.ScalarStyle, tag: String?, mark: Mark) throws -> Scalar {
        guard let tag else {
            return style == .plain ? implicit(text, tag: "").scalar : .string(text)
        }
        let short = shortTag(tag)
        switch short {
        case binaryTag:
            guard let bytes = Base64.decode(text) else {
                throw YAMLError("!!binary value contains invalid base64 data", mark: mark)
            }
            return .string(String(decoding: bytes, as: UTF8.self))
        case strTag:
            return .string(text)
        case boolTag, intTag, floatTag, nullTag, timestampTag:
            let (rtag, value) = implicit(text, tag: short)
            if rtag == short { return value }
            if short == floatTag, case .int(let i) = value { return .float(Double(i)) }
            throw YAMLError("cannot decode \(rtag) `\(text)` as a \(short)", mark: mark)
        default:
            // Unknown and non-specific tags (`!foo`, `!`) leave the text as a string in go-yaml.
            return .string(text)
        }
    }

    /// go-yaml v2's `resolve` for a plain scalar; returns the tag it settled on so explicit tags
    /// can be checked the way go-yaml checks them.
    static func implicit(_ s: String, tag: String) -> (tag: String, scalar: Scalar) {
        let utf8 = Array(s.utf8)
        let hint: UInt8 = utf8.first ?? UInt8(ascii: "N")
        let isSign = hint == UInt8(ascii: "+") || hint == UInt8(ascii: "-")
        let isDigit = hint >= UInt8(ascii: "0") && hint <= UInt8(ascii: "9")
        let inMap = "yYnNtTfFoO~N".utf8.contains(hint) || utf8.isEmpty
        let isDot = hint == UInt8(ascii: ".")
        guard isSign || isDigit || inMap || isDot else { return (strTag, .string(s)) }

        if let w = words[s] {
            switch w {
            case .null: return (nullTag, w)
            case .bool: return (boolTag, w)
            case .float: return (floatTag, w)
            case .merge: return (mergeTag, w)
            default: break
            }
        }
        if isDot {
            if let d = GoNumbers.parseFloatDotted(s) { return (floatTag, .float(d)) }
        } else if isSign || isDigit {
            if tag.isEmpty || tag == timestampTag, Timestamp.matches(s) { return (timestampTag, .string(s)) }
            let plain = s.filter { $0 != "_" }
            if let i = GoNumbers.parseInt(plain) { return (intTag, .int(i)) }
            if let u = GoNumbers.parseUint(plain) { return (intTag, .uint(u)) }
            if let d = GoNumbers.parseYAMLStyleFloat(plain) { return (floatTag, .float(d)) }
        }
        return (strTag, .string(s))
    }
}
