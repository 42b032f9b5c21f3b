import OrderedCollections
import YAML

/// What kube-apiserver checks on built-in kinds before storing them, from the API's own rules:
///
/// - Unknown fields (`fieldValidation`): the request body is decoded against the kind's type
///   (`SimBuiltinSchemaData`, generated from Kubernetes v1.33.9's API types). Strict refuses the
///   request with 400 (`strict decoding error: unknown field "spec.foo"`), Warn (the server's
///   default) answers with one `Warning: 299` header per field, Ignore says nothing; either way
///   the fields are dropped, as decoding into the Go types drops them. Strategic merge patches'
///   directives (`$patch`, `$setElementOrder/…`, `$retainKeys`, `$deleteFromPrimitiveList/…`) are
///   not fields. Server-side apply words it as the structured-merge-diff converter does.
/// - Values (422 Invalid, one cause per error, all errors at once): object names (DNS-1123
///   subdomain, DNS-1123 label for namespaces, DNS-1035 label for services), container and
///   service port numbers and names, and the enums clients most often get wrong.
///
/// Duplicate fields and type mismatches in the body are not reported.
enum SimFieldSchema {
    indirect enum FieldType: Sendable {
        case string, number, bool, any
        case named(String)
        case list(FieldType)
        case map(FieldType)
    }

    static let types: [String: [String: FieldType]] = {
        var out: [String: [String: FieldType]] = [:]
        var current = ""
        for line in SimBuiltinSchemaData.text.split(separator: "\n") {
            if line.first == " " {
                let parts = line.dropFirst().split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { continue }
                out[current, default: [:]][String(parts[0])] = parse(parts[1])
            } else {
                current = String(line)
                out[current] = out[current] ?? [:]
            }
        }
        return out
    }()

    static func parse(_ s: Substring) -> FieldType {
        switch s.first {
        case "s": return .string
        case "n": return .number
        case "b": return .bool
        case "@": return .named(String(s.dropFirst()))
        case "[": return .list(parse(s.dropFirst()))
        case "{": return .map(parse(s.dropFirst()))
        default: return .any
        }
    }

    /// The generated type name of a served built-in kind, nil for custom resources and kinds
    /// with no schema here (CustomResourceDefinition).
    static func rootType(_ r: SimResource) -> String? {
        let pkg = r.group.isEmpty ? "core" : String(r.group.split(separator: ".").first ?? "")
        let name = "\(pkg).\(r.version).\(r.kind)"
        return types[name] == nil ? nil : name
    }

    /// Fields of `v` its type does not declare, named as strict decoding names them
    /// (`spec.template.spec.containers[0].foo`), and `v` with them dropped.
    static func unknownFields(_ v: Value, type: FieldType, path: String = "", patch: Bool) -> (unknown: [String], pruned: Value) {
        switch (type, v) {
        case (.named(let name), .map(let m)):
            guard let fields = types[name] else { return ([], v) }
            var unknown: [String] = []
            var out: OrderedDictionary<String, Value> = [:]
            for (k, child) in m {
                if patch && k.hasPrefix("$") { out[k] = child; continue }
                guard let t = fields[k] else { unknown.append(SimSchema.join(path, k)); continue }
                let (u, p) = unknownFields(child, type: t, path: SimSchema.join(path, k), patch: patch)
                unknown += u
                out[k] = p
            }
            return (unknown, .map(out))
        case (.list(let t), .list(let items)):
            var unknown: [String] = []
            var out: [Value] = []
            for (i, el) in items.enumerated() {
                let (u, p) = unknownFields(el, type: t, path: "\(path)[\(i)]", patch: patch)
                unknown += u
                out.append(p)
            }
            return (unknown, .list(out))
        case (.map(let t), .map(let m)):
            var unknown: [String] = []
            var out: OrderedDictionary<String, Value> = [:]
            for (k, child) in m {
                let (u, p) = unknownFields(child, type: t, path: SimSchema.join(path, k), patch: patch)
                unknown += u
                out[k] = p
            }
            return (unknown, .map(out))
        default:
            return ([], v)
        }
    }
}

/// One validation error as kube-apiserver's field.Error carries it.
struct SimFieldError {
    var field: String
    var reason: String
    var detail: String

    static func invalid(_ field: String, _ value: Value, _ why: String) -> SimFieldError {
        SimFieldError(field: field, reason: "FieldValueInvalid", detail: "Invalid value: \(value.jsonString()): \(why)")
    }
    static func notSupported(_ field: String, _ value: String, _ allowed: [String]) -> SimFieldError {
        SimFieldError(
            field: field, reason: "FieldValueNotSupported",
            detail: "Unsupported value: \"\(value)\": supported values: \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
    }
    static func required(_ field: String) -> SimFieldError { SimFieldError(field: field, reason: "FieldValueRequired", detail: "Required value") }
    static func duplicate(_ field: String, _ value: Value) -> SimFieldError {
        SimFieldError(field: field, reason: "FieldValueDuplicate", detail: "Duplicate value: \(value.jsonString())")
    }
}

extension SimError {
    /// 422 Invalid with every error as a cause, the message listing them in brackets when more
    /// than one, as `errors.NewInvalid` words it.
    static func invalid(_ r: SimResource, _ name: String, _ errors: [SimFieldError]) -> SimError {
        var d: OrderedDictionary<String, Value> = ["name": .string(name)]
        if !r.group.isEmpty { d["group"] = .string(r.group) }
        d["kind"] = .string(r.kind)
        d["causes"] = .list(errors.map { .map(["reason": .string($0.reason), "message": .string($0.detail), "field": .string($0.field)]) })
        let qualified = r.group.isEmpty ? r.kind : "\(r.kind).\(r.group)"
        let all = errors.map { "\($0.field): \($0.detail)" }
        let message = "\(qualified) \"\(name)\" is invalid: " + (all.count == 1 ? all[0] : "[\(all.joined(separator: ", "))]")
        return make(422, reason: "Invalid", message: message, details: .map(d))
    }
}

/// apimachinery's name and port checks (k8s.io/apimachinery/pkg/util/validation), same wording.
enum SimNames {
    static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }

    static func dns1123Label(_ s: String) -> [String] {
        var out: [String] = []
        if s.count > 63 { out.append("must be no more than 63 characters") }
        if s.isEmpty || !s.allSatisfy({ isAlnum($0) || $0 == "-" }) || !isAlnum(s.first!) || !isAlnum(s.last!) {
            out.append(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            )
        }
        return out
    }

    static func dns1123Subdomain(_ s: String) -> [String] {
        var out: [String] = []
        if s.count > 253 { out.append("must be no more than 253 characters") }
        let labelsOK = s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { l in
            !l.isEmpty && l.allSatisfy { isAlnum($0) || $0 == "-" } && isAlnum(l.first!) && isAlnum(l.last!)
        }
        if !labelsOK {
            out.append(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            )
        }
        return out
    }

    static func dns1035Label(_ s: String) -> [String] {
        var out: [String] = []
        if s.count > 63 { out.append("must be no more than 63 characters") }
        if s.isEmpty || !s.allSatisfy({ isAlnum($0) || $0 == "-" }) || !(s.first!.isASCII && s.first!.isLowercase) || !isAlnum(s.last!) {
            out.append(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
            )
        }
        return out
    }

    /// IANA_SVC_NAME (RFC 6335): container port names and named target ports.
    static func portName(_ s: String) -> [String] {
        var out: [String] = []
        if s.count > 15 { out.append("must be no more than 15 characters") }
        if !s.allSatisfy({ isAlnum($0) || $0 == "-" }) { out.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)") }
        if s.contains("--") { out.append("must not contain consecutive hyphens") }
        if !s.contains(where: { $0.isASCII && $0.isLowercase }) { out.append("must contain at least one letter (a-z)") }
        if s.hasPrefix("-") || s.hasSuffix("-") { out.append("must not begin or end with a hyphen") }
        return out
    }

    static let portRange = "must be between 1 and 65535, inclusive"
    static func validPort(_ v: Int64) -> Bool { v >= 1 && v <= 65535 }
}

extension SimCluster {
    /// The field checks kube-apiserver runs on a built-in object before storing it.
    func builtinFieldErrors(_ r: SimResource, _ obj: Value) -> [SimFieldError] {
        var errs: [SimFieldError] = []
        let name = obj[path: ["metadata", "name"]]?.str ?? ""
        if !name.isEmpty, r.group != "rbac.authorization.k8s.io", SimFieldSchema.rootType(r) != nil {
            let problems: [String]
            switch r.name {
            case "services": problems = SimNames.dns1035Label(name)
            case "namespaces": problems = SimNames.dns1123Label(name)
            default: problems = SimNames.dns1123Subdomain(name)
            }
            errs += problems.map { .invalid("metadata.name", .string(name), $0) }
        }
        switch r.name {
        case "pods":
            errs += podSpecErrors(obj["spec"], path: "spec", template: false)
        case "deployments", "daemonsets", "statefulsets", "replicasets", "jobs":
            errs += podSpecErrors(obj[path: ["spec", "template", "spec"]], path: "spec.template.spec", template: r.name != "jobs")
            if r.name == "deployments", let t = obj[path: ["spec", "strategy", "type"]]?.str, !["Recreate", "RollingUpdate"].contains(t) {
                errs.append(.notSupported("spec.strategy.type", t, ["Recreate", "RollingUpdate"]))
            }
            if r.name == "daemonsets" || r.name == "statefulsets", let t = obj[path: ["spec", "updateStrategy", "type"]]?.str,
                !["OnDelete", "RollingUpdate"].contains(t)
            {
                errs.append(.notSupported("spec.updateStrategy.type", t, ["OnDelete", "RollingUpdate"]))
            }
            if let n = obj[path: ["spec", "replicas"]]?.intValue, n < 0 {
                errs.append(.invalid("spec.replicas", .int(n), "must be greater than or equal to 0"))
            }
        case "services":
            errs += serviceErrors(obj)
        default: break
        }
        return errs
    }

    func podSpecErrors(_ spec: Value?, path: String, template: Bool) -> [SimFieldError] {
        guard let spec else { return [] }
        var errs: [SimFieldError] = []
        if let p = spec["restartPolicy"]?.str {
            let allowed = template ? ["Always"] : ["Always", "OnFailure", "Never"]
            if !allowed.contains(p) { errs.append(.notSupported("\(path).restartPolicy", p, allowed)) }
        }
        for kind in ["initContainers", "containers"] {
            for (i, c) in (spec[kind]?.list ?? []).enumerated() {
                let cp = "\(path).\(kind)[\(i)]"
                if let p = c["imagePullPolicy"]?.str, !["Always", "IfNotPresent", "Never"].contains(p) {
                    errs.append(.notSupported("\(cp).imagePullPolicy", p, ["Always", "IfNotPresent", "Never"]))
                }
                var names: Set<String> = []
                for (j, port) in (c["ports"]?.list ?? []).enumerated() {
                    let pp = "\(cp).ports[\(j)]"
                    if let n = port["name"]?.str, !n.isEmpty {
                        errs += SimNames.portName(n).map { .invalid("\(pp).name", .string(n), $0) }
                        if !names.insert(n).inserted { errs.append(.duplicate("\(pp).name", .string(n))) }
                    }
                    if let v = port["containerPort"]?.intValue {
                        if !SimNames.validPort(v) { errs.append(.invalid("\(pp).containerPort", .int(v), SimNames.portRange)) }
                    } else {
                        errs.append(.required("\(pp).containerPort"))
                    }
                    if let v = port["hostPort"]?.intValue, v != 0, !SimNames.validPort(v) {
                        errs.append(.invalid("\(pp).hostPort", .int(v), SimNames.portRange))
                    }
                    if let proto = port["protocol"]?.str, !["SCTP", "TCP", "UDP"].contains(proto) {
                        errs.append(.notSupported("\(pp).protocol", proto, ["SCTP", "TCP", "UDP"]))
                    }
                }
            }
        }
        return errs
    }

    func serviceErrors(_ obj: Value) -> [SimFieldError] {
        var errs: [SimFieldError] = []
        let spec = obj["spec"] ?? .map([:])
        let type = spec["type"]?.str ?? "ClusterIP"
        let types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
        if !types.contains(type) { errs.append(.notSupported("spec.type", type, types)) }
        let ports = spec["ports"]?.list ?? []
        var names: Set<String> = []
        for (i, port) in ports.enumerated() {
            let pp = "spec.ports[\(i)]"
            let name = port["name"]?.str ?? ""
            if ports.count > 1, name.isEmpty { errs.append(.required("\(pp).name")) }
            if !name.isEmpty {
                errs += SimNames.dns1123Label(name).map { .invalid("\(pp).name", .string(name), $0) }
                if !names.insert(name).inserted { errs.append(.duplicate("\(pp).name", .string(name))) }
            }
            if let v = port["port"]?.intValue, !SimNames.validPort(v) { errs.append(.invalid("\(pp).port", .int(v), SimNames.portRange)) }
            if let proto = port["protocol"]?.str, !["SCTP", "TCP", "UDP"].contains(proto) {
                errs.append(.notSupported("\(pp).protocol", proto, ["SCTP", "TCP", "UDP"]))
            }
            switch port["targetPort"] {
            case .string(let s)?: errs += SimNames.portName(s).map { .invalid("\(pp).targetPort", .string(s), $0) }
            case let t? where t.intValue != nil:
                let v = t.intValue!
                if v != 0, !SimNames.validPort(v) { errs.append(.invalid("\(pp).targetPort", .int(v), SimNames.portRange)) }
            default: break
            }
            if let v = port["nodePort"]?.intValue, v != 0, !SimNames.validPort(v) { errs.append(.invalid("\(pp).nodePort", .int(v), SimNames.portRange)) }
        }
        if let p = spec["internalTrafficPolicy"]?.str, !["Cluster", "Local"].contains(p) {
            errs.append(.notSupported("spec.internalTrafficPolicy", p, ["Cluster", "Local"]))
        }
        if let p = spec["externalTrafficPolicy"]?.str, !p.isEmpty {
            if type != "NodePort" && type != "LoadBalancer" {
                errs.append(.invalid("spec.externalTrafficPolicy", .string(p), "may only be set when `type` is 'NodePort' or 'LoadBalancer'"))
            } else if !["Cluster", "Local"].contains(p) {
                errs.append(.notSupported("spec.externalTrafficPolicy", p, ["Cluster", "Local"]))
            }
        }
        return errs
    }

    /// `fieldValidation` on a write of a built-in kind: nil to serve the request as it came, or
    /// the body with unknown fields dropped and the warnings to add, or the Strict refusal.
    func checkUnknownFields(_ req: SimRequest, _ r: SimResource) -> Result<(body: [UInt8]?, warnings: [String]), SimError> {
        guard let root = SimFieldSchema.rootType(r), ["POST", "PUT", "PATCH"].contains(req.method) else { return .success((nil, [])) }
        let ct = req.headers["content-type"] ?? ""
        if ct.hasPrefix("application/vnd.kubernetes.protobuf") || ct.hasPrefix("application/json-patch+json") { return .success((nil, [])) }
        guard let body = try? decodeBody(req), body.mapValue != nil else { return .success((nil, [])) }
        let isPatch = req.method == "PATCH" && !ct.hasPrefix("application/apply-patch")
        let (unknown, pruned) = SimFieldSchema.unknownFields(body, type: .named(root), patch: isPatch)
        guard !unknown.isEmpty else { return .success((nil, [])) }
        let mode = req.query["fieldValidation"] ?? "Warn"
        if mode == "Strict" {
            if ct.hasPrefix("application/apply-patch") {
                let first = unknown[0]
                return .failure(
                    .badRequest(
                        "failed to create typed patch object (\(r.group.isEmpty ? "" : r.group)/\(r.version), Kind=\(r.kind)): .\(first): field not declared in schema"
                    ))
            }
            let fields = unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
            return .failure(.badRequest("\(r.kind) in version \"\(r.version)\" cannot be handled as a \(r.kind): strict decoding error: \(fields)"))
        }
        return .success((Array(pruned.jsonString().utf8), mode == "Warn" ? unknown : []))
    }
}
