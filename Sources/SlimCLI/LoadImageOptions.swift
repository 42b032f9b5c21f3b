import ArgumentParser

/// Images built on this machine that a kind cluster cannot pull from any registry: the commands
/// that run or show the cluster step (deploy, ci, plan) load them with kind's own
/// `kind load docker-image` once the nodes are Ready. Other targets refuse them (`Targets`).
struct LoadImageOptions: ParsableArguments {
    @Option(
        name: .customLong("load-image"),
        help: ArgumentHelp(
            "kind: after the cluster step, load this local image into the cluster's nodes with `kind load docker-image` (repeatable).",
            valueName: "image"))
    var given: [String] = []

    /// Each image once, in the order given: loading one twice only costs time.
    var images: [String] {
        var seen = Set<String>()
        return given.filter { seen.insert($0).inserted }
    }

    /// A word kind would read as a flag, or an empty one, is a typo rather than an image.
    func validate() throws {
        for i in given where i.isEmpty || i.hasPrefix("-") || i.contains(where: \.isWhitespace) {
            throw ValidationError("--load-image `\(i)`: expected an image reference such as example/app:dev")
        }
    }
}
