import Foundation
import OrderedCollections
import YAML

/// Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`),
/// which client-go's typed clients send for built-in types — helm stores its releases in
/// Secrets that way. The envelope is the magic `k8s\0` and a `runtime.Unknown` (typeMeta, raw);
/// the simulator decodes the kinds it is sent in that form (Secret, ConfigMap, Service) into the same
/// JSON-shaped objects a JSON body gives. Field numbers are those of k8s.io/api's generated.proto.
enum SimProtobuf {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    struct Reader {
        var bytes: ArraySlice<UInt8>
        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while let b = bytes.first {
                bytes = bytes.dropFirst()
                result |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
                if shift > 63 { break }
            }
            throw SimError.badRequest("protobuf: truncated varint")
        }
        /// The next field: number, wire type, and its payload (bytes for length-delimited, the
        /// value for varints).
        mutating func field() throws -> (number: Int, wire: Int, data: ArraySlice<UInt8>, value: UInt64)? {
            guard !bytes.isEmpty else { return nil }
            let key = try varint()
            let number = Int(key >> 3), wire = Int(key & 7)
            switch wire {
            case 0: return (number, wire, [], try varint())
            case 2:
                let n = Int(try varint())
                guard n >= 0, n <= bytes.count else { throw SimError.badRequest("protobuf: length \(n) past the end") }
                let data = bytes.prefix(n)
                bytes = bytes.dropFirst(n)
                return (number, wire, data, 0)
            case 1:
                guard bytes.count >= 8 else { throw SimError.badRequest("protobuf: truncated fixed64") }; bytes = bytes.dropFirst(8);
                return (number, wire, [], 0)
            case 5:
                guard bytes.count >= 4 else { throw SimError.badRequest("protobuf: truncated fixed32") }; bytes = bytes.dropFirst(4);
                return (number, wire, [], 0)
            default: throw SimError.badRequest("protobuf: unsupported wire type \(wire)")
            }
        }
    }

    static func string(_ d: ArraySlice<UInt8>) -> String { String(decoding: d, as: UTF8.self) }

    /// A map entry (key = 1, value = 2).
    static func entry(_ d: ArraySlice<UInt8>) throws -> (String, ArraySlice<UInt8>) {
        var r = Reader(bytes: d)
        var k = "", v: ArraySlice<UInt8> = []
        while let f = try r.field() {
            if f.number == 1 { k = string(f.data) } else if f.number == 2 { v = f.data }
        }
        return (k, v)
    }

    static func objectMeta(_ d: ArraySlice<UInt8>) throws -> Value {
        var r = Reader(bytes: d)
        var m: OrderedDictionary<String, Value> = [:]
        var labels: OrderedDictionary<String, Value> = [:], annotations: OrderedDictionary<String, Value> = [:]
        var finalizers: [Value] = []
        while let f = try r.field() {
            // gogo-generated marshalers write every string, even empty ones; JSON omits them.
            if f.wire == 2 && f.data.isEmpty { continue }
            if f.wire == 0 && f.value == 0 { continue }
            switch f.number {
            case 1: m["name"] = .string(string(f.data))
            case 2: m["generateName"] = .string(string(f.data))
            case 3: m["namespace"] = .string(string(f.data))
            case 5: m["uid"] = .string(string(f.data))
            case 6: m["resourceVersion"] = .string(string(f.data))
            case 7: m["generation"] = .int(Int64(bitPattern: f.value))
            case 11: let (k, v) = try entry(f.data); labels[k] = .string(string(v))
            case 12: let (k, v) = try entry(f.data); annotations[k] = .string(string(v))
            case 14: finalizers.append(.string(string(f.data)))
            default: continue  // timestamps, owner references, managed fields: set by the server
            }
        }
        if !labels.isEmpty { m["labels"] = .map(labels) }
        if !annotations.isEmpty { m["annotations"] = .map(annotations) }
        if !finalizers.isEmpty { m["finalizers"] = .list(finalizers) }
        return .map(m)
    }

    /// core/v1 ServiceSpec: ports = 1, selector = 2, clusterIP = 3, type = 4, externalIPs = 5,
    /// sessionAffinity = 7, externalName = 10, externalTrafficPolicy = 11, publishNotReadyAddresses
    /// = 13, ipFamilyPolicy = 17, clusterIPs = 18, ipFamilies = 19, internalTrafficPolicy = 22.
    static func serviceSpec(_ d: ArraySlice<UInt8>) throws -> Value {
        var r = Reader(bytes: d)
        var m: OrderedDictionary<String, Value> = [:]
        var ports: [Value] = [], selector: OrderedDictionary<String, Value> = [:]
        var lists: [String: [Value]] = [:]
        let strings: [Int: String] = [
            3: "clusterIP", 4: "type", 7: "sessionAffinity", 10: "externalName", 11: "externalTrafficPolicy",
            17: "ipFamilyPolicy", 22: "internalTrafficPolicy"
        ]
        let stringLists: [Int: String] = [5: "externalIPs", 18: "clusterIPs", 19: "ipFamilies"]
        while let f = try r.field() {
            if f.wire == 2 && f.data.isEmpty && f.number != 1 { continue }
            switch f.number {
            case 1: ports.append(try servicePort(f.data))
            case 2: let (k, v) = try entry(f.data); selector[k] = .string(string(v))
            case 13: if f.value != 0 { m["publishNotReadyAddresses"] = true }
            default:
                if let k = strings[f.number] {
                    m[k] = .string(string(f.data))
                } else if let k = stringLists[f.number] {
                    lists[k, default: []].append(.string(string(f.data)))
                }
            }
        }
        if !ports.isEmpty { m["ports"] = .list(ports) }
        if !selector.isEmpty { m["selector"] = .map(selector) }
        for (k, v) in lists.sorted(by: { $0.key < $1.key }) { m[k] = .list(v) }
        return .map(m)
    }

    /// core/v1 ServicePort: name = 1, protocol = 2, port = 3, targetPort = 4 (IntOrString: type =
    /// 1, intVal = 2, strVal = 3), nodePort = 5, appProtocol = 6.
    static func servicePort(_ d: ArraySlice<UInt8>) throws -> Value {
        var r = Reader(bytes: d)
        var m: OrderedDictionary<String, Value> = [:]
        while let f = try r.field() {
            switch (f.number, f.wire) {
            case (1, 2) where !f.data.isEmpty: m["name"] = .string(string(f.data))
            case (2, 2) where !f.data.isEmpty: m["protocol"] = .string(string(f.data))
            case (6, 2) where !f.data.isEmpty: m["appProtocol"] = .string(string(f.data))
            case (3, 0): m["port"] = .int(Int64(Int32(truncatingIfNeeded: f.value)))
            case (5, 0) where f.value != 0: m["nodePort"] = .int(Int64(Int32(truncatingIfNeeded: f.value)))
            case (4, 2):
                var t = Reader(bytes: f.data)
                var isString = false, intVal: Int64 = 0, strVal = ""
                while let g = try t.field() {
                    switch g.number {
                    case 1: isString = g.value == 1
                    case 2: intVal = Int64(Int32(truncatingIfNeeded: g.value))
                    case 3: strVal = string(g.data)
                    default: continue
                    }
                }
                m["targetPort"] = isString ? .string(strVal) : .int(intVal)
            default: continue
            }
        }
        return .map(m)
    }

    /// Decodes a protobuf request body into a JSON-shaped object.
    static func decode(_ body: [UInt8]) throws -> Value {
        guard body.starts(with: magic) else { throw SimError.badRequest("protobuf body without the k8s magic prefix") }
        var outer = Reader(bytes: body.dropFirst(4))
        var apiVersion = "", kind = ""
        var raw: ArraySlice<UInt8> = []
        while let f = try outer.field() {
            if f.number == 1 {
                var tm = Reader(bytes: f.data)
                while let t = try tm.field() {
                    if t.number == 1 { apiVersion = string(t.data) } else if t.number == 2 { kind = string(t.data) }
                }
            } else if f.number == 2 {
                raw = f.data
            }
        }
        var obj: OrderedDictionary<String, Value> = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
        var r = Reader(bytes: raw)
        var data: OrderedDictionary<String, Value> = [:], other: OrderedDictionary<String, Value> = [:]
        switch (apiVersion, kind) {
        case ("v1", "Secret"):
            while let f = try r.field() {
                switch f.number {
                case 1: obj["metadata"] = try objectMeta(f.data)
                case 2: let (k, v) = try entry(f.data); data[k] = .string(Data(v).base64EncodedString())
                case 3: obj["type"] = .string(string(f.data))
                case 4: let (k, v) = try entry(f.data); other[k] = .string(string(v))
                case 5: obj["immutable"] = .bool(f.value != 0)
                default: continue
                }
            }
            if !data.isEmpty { obj["data"] = .map(data) }
            if !other.isEmpty { obj["stringData"] = .map(other) }
        case ("v1", "ConfigMap"):
            while let f = try r.field() {
                switch f.number {
                case 1: obj["metadata"] = try objectMeta(f.data)
                case 2: let (k, v) = try entry(f.data); data[k] = .string(string(v))
                case 3: let (k, v) = try entry(f.data); other[k] = .string(Data(v).base64EncodedString())
                case 4: obj["immutable"] = .bool(f.value != 0)
                default: continue
                }
            }
            if !data.isEmpty { obj["data"] = .map(data) }
            if !other.isEmpty { obj["binaryData"] = .map(other) }
        case ("v1", "Service"):
            // What `kubectl create service` sends: metadata = 1, spec = 2 (status = 3 is the server's).
            while let f = try r.field() {
                switch f.number {
                case 1: obj["metadata"] = try objectMeta(f.data)
                case 2: obj["spec"] = try serviceSpec(f.data)
                default: continue
                }
            }
        default:
            throw SimError.unsupportedMediaType(
                "the simulator decodes protobuf only for v1 Secret, ConfigMap and Service, not \(apiVersion) \(kind); send JSON")
        }
        return .map(obj)
    }
}
