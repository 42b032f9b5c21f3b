import YAML

/// A resource's objects across all namespaces in etcd order, with their `namespace/name` keys.
/// Benchmark-size clusters (55,000 pods) are listed in pages of 500; sorting on every page made
/// the simulator, not the client, the cost being measured. Any write bumps `revision`, which
/// invalidates the cache.
struct SortedList {
    var revision: Int
    var items: [Value]
    var keys: [String]

    /// Index of the first object after `key` (for a `continue` token), by binary search.
    func index(after key: String) -> Int {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] <= key { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

extension SimCluster {
    func sortedAllLocked(_ r: SimResource) -> SortedList {
        if let c = listCache[r], c.revision == revision { return c }
        var items: [Value] = []
        var keys: [String] = []
        for (ns, byName) in (objects[r] ?? [:]).sorted(by: { $0.key < $1.key }) {
            for (name, obj) in byName.sorted(by: { $0.key < $1.key }) {
                items.append(obj)
                keys.append("\(ns)/\(name)")
            }
        }
        let list = SortedList(revision: revision, items: items, keys: keys)
        listCache[r] = list
        return list
    }
}
