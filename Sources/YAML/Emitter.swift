struct Emitter {
    var out = ""
    mutating func document(_ v: Value) {}
}
