/// Text files slimctl reads (strategies, values, manifests) must be UTF-8. When one is not, the
/// user needs the place of the first bad byte — a Latin-1 `é` pasted into a comment — not just
/// "not UTF-8", so decoding reports line and column.
public enum UTF8Text {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What was read, e.g. "strategy file /path/x.yaml".
        public var name: String
        public var line: Int
        /// 1-based, counted in characters (Unicode scalars) before the bad byte, as editors count.
        public var column: Int
        public var byte: UInt8
        public var offset: Int
        public var description: String {
            "\(name) is not UTF-8 at \(line):\(column) (byte 0x\(String(byte, radix: 16, uppercase: true)) at offset \(offset)); save it as UTF-8"
        }
    }

    public static func decode(_ bytes: [UInt8], name: String) throws -> String {
        if let bad = firstInvalid(bytes) { throw bad.named(name) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first byte that does not start or continue a well-formed UTF-8 sequence, with its
    /// position; nil when all of `bytes` is valid.
    public static func firstInvalid(_ bytes: [UInt8]) -> Invalid? {
        var parser = Unicode.UTF8.ForwardParser()
        var it = bytes.makeIterator()
        var offset = 0, line = 1, column = 1
        while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
                offset += encoded.count
            case .emptyInput:
                return nil
            case .error:
                return Invalid(name: "", line: line, column: column, byte: bytes[offset], offset: offset)
            }
        }
    }
}

extension UTF8Text.Invalid {
    func named(_ n: String) -> UTF8Text.Invalid { var c = self; c.name = n; return c }
}
