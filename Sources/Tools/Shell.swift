/// Words for a POSIX shell, for commands slimctl prints for users to paste.
public enum Shell {
    /// `s` unchanged when it holds only characters no shell treats specially, else single-quoted.
    public static func quote(_ s: String) -> String {
        let plain = !s.isEmpty && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+=:@,%".contains($0)) }
        return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
