import Plan
import Testing

/// `RELEASE:` in front of `-f`/`--set*` arguments: a name that is not a release is an error, and
/// text that only contains a colon is not a prefix at all.
@Suite struct ReleasePrefixes {
    let releases = ["slim-control", "slim"]

    func split(_ raw: String, flag: String = "--set") throws -> (String?, String) {
        let r = try ReleasePrefix.split(raw, flag: flag, releases: releases, strategy: "daemonset")
        return (r.release, r.body)
    }

    @Test func aReleaseOfTheStrategyIsSplitOff() throws {
        #expect(try split("slim-control:image.tag=1.4.1") == ("slim-control", "image.tag=1.4.1"))
        #expect(try split("slim:values.yaml", flag: "-f") == ("slim", "values.yaml"))
    }

    @Test func textWithAColonThatIsNoPrefixStaysWhole() throws {
        for raw in ["a.b=http://x:80", "url=https://h", "./dir:x.yaml", "a=b:c", "{\"a\":1}", "Upper:x=1", "values.yaml"] {
            #expect(try split(raw) == (nil, raw), "\(raw)")
        }
    }

    @Test func anUnknownReleaseIsAnErrorListingTheReleases() {
        do {
            _ = try split("slim-contrl:a=1", flag: "--set-string")
            Issue.record("expected an error")
        } catch let e as ReleasePrefix.Unknown {
            #expect(
                "\(e)"
                    == "--set-string slim-contrl:a=1: strategy `daemonset` has no release `slim-contrl` (its releases: slim-control, slim); did you mean `slim-control:`?"
            )
        } catch { Issue.record("\(error)") }
        #expect(throws: ReleasePrefix.Unknown.self) { _ = try split("nope:file.yaml", flag: "-f") }
        #expect(throws: ReleasePrefix.Unknown.self) { _ = try split("nope:a=1") }
    }
}
