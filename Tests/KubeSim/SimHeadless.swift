import NIOPosix
import YAML

/// A cluster without an API server in front, for tests that drive the controllers directly and
/// need thousands of clusters (the DaemonSet differential test): objects go in through the same
/// store, admission and controllers as over HTTP, only the transport is skipped.
extension SimCluster {
    public static func headless(options: SimOptions = SimOptions()) -> SimCluster {
        SimCluster(options: options, loop: MultiThreadedEventLoopGroup.singleton.next())
    }

    /// Runs controller passes until one changes nothing (at most `limit`), as the informer-driven
    /// passes would eventually; returns the number of passes.
    @discardableResult
    public func settle(limit: Int = 50) -> Int {
        withLock {
            for pass in 1...max(1, limit) {
                let before = revision
                reconcileLocked()
                if revision == before { return pass }
            }
            return limit
        }
    }
}
