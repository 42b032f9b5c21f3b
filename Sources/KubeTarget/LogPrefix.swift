/// The aligned, coloured `[node/]pod/container` in front of each log line. The width follows
/// the containers shown now: it grows when a longer name appears and shrinks when the longest
/// goes away, so a long-gone pod does not leave a wide gutter behind.
public struct LogPrefix: Sendable {
    public var showNode: Bool
    public var color: Bool
    public private(set) var width = 0

    public init(showNode: Bool, color: Bool) { self.showNode = showNode; self.color = color }

    static let palette = [
        "\u{1B}[36m", "\u{1B}[33m", "\u{1B}[35m", "\u{1B}[32m", "\u{1B}[34m", "\u{1B}[31m",
        "\u{1B}[96m", "\u{1B}[93m", "\u{1B}[95m", "\u{1B}[92m", "\u{1B}[94m", "\u{1B}[91m"
    ]
    static let reset = "\u{1B}[0m"
    static let faint = "\u{1B}[2m"

    public func label(_ t: LogTarget) -> String {
        (showNode ? "\(t.node.isEmpty ? "-" : t.node)/" : "") + "\(t.pod)/\(t.container)"
    }

    public mutating func realign(_ targets: [LogTarget]) {
        width = targets.map { label($0).count }.max() ?? 0
    }

    /// The same pod always gets the same colour (FNV-1a of its name), so a pod keeps its colour
    /// across runs and while others come and go.
    static func colour(_ pod: String) -> String {
        var h: UInt32 = 2166136261
        for b in pod.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        return palette[Int(h % UInt32(palette.count))]
    }

    /// The padded prefix for a line of `t`; widens for a name longer than any shown so far.
    public mutating func prefix(_ t: LogTarget) -> String {
        let text = label(t)
        if text.count > width { width = text.count }
        let pad = String(repeating: " ", count: width - text.count)
        guard color else { return text + pad }
        let c = Self.colour(t.pod)
        let podPart = showNode ? "\(t.node.isEmpty ? "-" : t.node)/\(t.pod)" : t.pod
        return c + podPart + Self.reset + Self.faint + c + "/" + t.container + Self.reset + pad
    }
}
