/// Picks the chart generation a run uses: the one asked for (`--generation`), else the strategy's
/// default, else its first. Pure, so `render`, `plan` and `deploy` refuse the same combinations
/// the same way, before anything is written or installed.
public enum GenerationChoice {
    public static func choose(_ generations: [ChartGeneration], requested: String?, strategy: String) throws -> ChartGeneration? {
        guard !generations.isEmpty else {
            if let requested {
                throw StrategyError(
                    "strategy `\(strategy)` does not declare chart generations; --generation \(requested) cannot apply",
                    at: nil, hint: "drop --generation, or add a `generations` section to the strategy")
            }
            return nil
        }
        let supported = generations.filter { $0.unsupported == nil }.map(\.name)
        guard let requested else { return generations.first(where: \.isDefault) ?? generations.first { $0.unsupported == nil } }
        guard let g = generations.first(where: { $0.name == requested }) else {
            throw StrategyError(
                "strategy `\(strategy)` has no chart generation `\(requested)`; it has \(supported.joined(separator: ", "))",
                at: nil, hint: Suggest.didYouMean(requested, in: generations.map(\.name)))
        }
        if let why = g.unsupported {
            throw StrategyError(
                "strategy `\(strategy)` cannot be deployed with chart generation \(g.name): \(why)", at: g.mark,
                hint: "use --generation \(supported.joined(separator: " or --generation ")); nothing was rendered or installed")
        }
        return g
    }

    /// The variable values a chosen generation sets, `generation` itself included.
    public static func presets(_ g: ChartGeneration?) -> [String: String] {
        guard let g else { return [:] }
        var p = g.variables
        p["generation"] = g.name
        return p
    }
}
