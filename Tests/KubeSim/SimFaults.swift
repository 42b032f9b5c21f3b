/// An authenticated identity, as the API server's authenticators produce it.
public struct SimUser: Sendable, Hashable {
    public var name: String
    public var groups: [String]
    public init(name: String, groups: [String] = []) { self.name = name; self.groups = groups }
}

/// A fault the simulated server injects into matching requests, `times` times.
public struct SimFaultRule: Sendable {
    public enum Action: Sendable {
        /// 500 InternalError Status.
        case internalError
        /// 429 TooManyRequests with `Retry-After`.
        case tooManyRequests(retryAfter: Int)
        /// Answer after a delay (seconds), for timeout tests.
        case delay(Double)
        /// Close the connection without answering (connection reset as the client sees it).
        case reset
        /// On a watch: answer with a 410 Expired ERROR event and close.
        case expireWatch
        /// On a watch: close the stream after sending the initial events.
        case dropWatch
    }
    public var method: String?
    public var pathContains: String?
    /// Only watch requests (`watch=true`) or only non-watch requests, or both when nil.
    public var watch: Bool?
    public var action: Action
    public var times: Int

    public init(method: String? = nil, pathContains: String? = nil, watch: Bool? = nil, action: Action, times: Int = 1) {
        self.method = method; self.pathContains = pathContains; self.watch = watch; self.action = action; self.times = times
    }
}

extension SimCluster {
    /// The first live rule matching this request, consuming one use.
    func takeFault(method: String, path: String, isWatch: Bool) -> SimFaultRule.Action? {
        withLock {
            for i in faults.indices where faults[i].times > 0 {
                let f = faults[i]
                if let m = f.method, m != method { continue }
                if let p = f.pathContains, !path.contains(p) { continue }
                if let w = f.watch, w != isWatch { continue }
                faults[i].times -= 1
                return f.action
            }
            return nil
        }
    }
}
