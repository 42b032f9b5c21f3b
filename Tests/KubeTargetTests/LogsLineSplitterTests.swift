import Testing

@testable import Kube

/// The splitter every watch and log stream goes through: any chunking gives the same lines.
@Suite struct LogsLineSplitter {
    @Test func anyChunkingGivesTheSameLines() {
        var text = ""
        for i in 0..<500 { text += "line \(i) " + String(repeating: "x", count: i % 7 == 0 ? 5_000 : i) + "\n" }
        text += "a last line without newline"
        let bytes = Array(text.utf8)
        let expected = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for size in [1, 3, 64, 1_000, 16_384, bytes.count] {
            for asText in [false, true] {
                var s = LineSplitter()
                var got: [String] = []
                var i = 0
                while i < bytes.count {
                    let chunk = Array(bytes[i..<min(i + size, bytes.count)])
                    got += asText ? s.pushText(chunk) : s.push(chunk).map { String(decoding: $0, as: UTF8.self) }
                    i += size
                }
                got.append(String(decoding: s.buffer, as: UTF8.self))
                #expect(got == expected, "chunks of \(size), text: \(asText)")
            }
        }
    }

    @Test func emptyLinesAndNewlinesAtChunkEdges() {
        var s = LineSplitter()
        #expect(s.push(Array("a\n".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["a"])
        #expect(s.push(Array("\n\nb".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["", ""])
        #expect(s.push(Array("c".utf8)).isEmpty)
        #expect(s.push(Array("\n".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["bc"])
        #expect(s.buffer.isEmpty)
        var t = LineSplitter()
        #expect(t.pushText(Array("a\n".utf8)) == ["a"])
        #expect(t.pushText(Array("\n\nb".utf8)) == ["", ""])
        #expect(t.pushText(Array("c".utf8)).isEmpty)
        #expect(t.pushText(Array("\n".utf8)) == ["bc"])
        #expect(t.buffer.isEmpty)
    }
}
