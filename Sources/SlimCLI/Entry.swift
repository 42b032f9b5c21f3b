public enum SlimctlMain { public static func run() async {} }
