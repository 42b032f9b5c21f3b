@testable import Values

/// One differential case: values files (by content), `--set*` arguments in the order given on the
/// command line, and files that `--set-file` arguments name.
struct HelmCase: Sendable, CustomStringConvertible {
    var name: String
    var files: [String] = []
    var sets: [(SetKind, String)] = []
    var setFiles: [String: String] = [:]

    var description: String { name }
}

/// The cases, each run through helm and through slimctl. Every rule in Docs/values.md has one.
enum HelmCases {
    static let all: [HelmCase] = [
        HelmCase(name: "no user values"),
        HelmCase(
            name: "deep map merge from one file",
            files: [
                """
                image:
                  tag: "0.5.0"
                config:
                  server:
                    tls:
                      insecure: false
                  tracing:
                    sampler:
                      type: always
                """
            ]),
        HelmCase(
            name: "later file wins, maps merge across files",
            files: [
                "replicaCount: 2\nimage: {tag: a, pullPolicy: Always}\nextra: {x: 1, y: 1}\n",
                "replicaCount: 3\nimage: {tag: b}\nextra: {y: 2, z: 3}\n"
            ]),
        HelmCase(
            name: "lists are replaced, never merged",
            files: [
                "service:\n  ports:\n    - name: only\n      port: 1\ntolerations: [{key: a}]\n",
                "tolerations: [{key: b}, {key: c}]\n"
            ]),
        HelmCase(name: "null deletes a nested chart default", files: ["image:\n  tag: null\nconfig:\n  tracing:\n    sampler: ~\n"]),
        HelmCase(name: "null deletes a whole default map", files: ["config: null\nlabels: null\n"]),
        HelmCase(
            name: "null in one file, value back in a later file",
            files: [
                "image: {tag: null}\nconfig: null\n", "image: {tag: back}\nconfig: {fresh: true}\n"
            ]),
        HelmCase(
            name: "null removes a value from an earlier file",
            files: [
                "extra: {a: 1, b: 2}\nimage: {added: 1, other: 2}\nlist: [1, 2]\n",
                "extra: {a: null}\nimage: {added: null}\nlist: null\n"
            ]),
        HelmCase(
            name: "null over a null default, top and nested",
            files: [
                "nullDefault: null\nconfig: {server: {tls: {cert: null}}}\nunknown: null\n"
            ]),
        HelmCase(
            name: "--set wins over -f", files: ["replicaCount: 3\nimage: {tag: from-file, pullPolicy: Never}\n"],
            sets: [(.set, "replicaCount=5,image.tag=from-set")]),
        HelmCase(name: "--set deep path creates maps", sets: [(.set, "a.b.c.d=1"), (.set, "config.server.tls.insecure=false")]),
        HelmCase(name: "--set list index into a default list", sets: [(.set, "service.ports[0].port=1,service.ports[1].name=ctl")]),
        HelmCase(name: "--set list index pads with nulls", sets: [(.set, "tolerations[2].key=x"), (.set, "fresh[3]=y")]),
        HelmCase(name: "--set brace lists", sets: [(.set, "image.pullSecrets={a,b,3},one={x},empty={}")]),
        HelmCase(
            name: "--set type inference",
            sets: [
                (
                    .set,
                    "t=true,T=TRUE,f=False,n=null,N=NULL,z=0,neg=-12,pos=+5,mz=-0,oct=010,fl=1.5,exp=1e3,hex=0x1F,y=yes,u=1_000,big=9007199254740992,over=9223372036854775808,ls=fal\u{017F}e"
                )
            ]),
        HelmCase(name: "--set empty values", sets: [(.set, "e="), (.set, "image.tag=,x=1")]),
        HelmCase(name: "--set null deletes a chart default", sets: [(.set, "image.tag=null,config.tracing=null,labels=null")]),
        HelmCase(
            name: "--set escapes",
            sets: [
                (.set, #"labels.app\.kubernetes\.io/name=slim"#), (.set, #"csv=a\,b\,c"#), (.set, #"eq\=key=v"#),
                (.set, #"brace=\{x}"#), (.set, #"back=x\\y"#)
            ]),
        HelmCase(name: "--set several assignments per argument", sets: [(.set, "a=1,b.c=2,d[0]=3,"), (.set, "a=4")]),
        HelmCase(
            name: "--set out-of-order indexes and nested lists",
            sets: [
                (.set, "l[1].b=x,l[0].c=y"), (.set, "m[0][1]=x"), (.set, "n[0]={p,q}")
            ]),
        HelmCase(
            name: "--set into a list from -f", files: ["list: [a, b, c]\nobjs: [{k: 1}, s]\n"],
            sets: [(.set, "list[1]=z,list[4]=e,objs[0].j=2,objs[1].k=3")]),
        HelmCase(
            name: "--set bare index and bare dot",
            sets: [
                (.set, "a[0]"), (.set, "b."), (.set, "=1,.c=2"), (.set, "c[1"), (.set, "e=1,d[0][1"), (.literal, "f[0][1")
            ]),
        HelmCase(
            name: "--set scalar over a default map, map over a default scalar",
            sets: [(.set, "config=flat,replicaCount.nested=1")]),
        HelmCase(
            name: "-f scalar over default map, map over default scalar",
            files: ["image: latest\nversion: {major: 1}\nservice: {ports: {name: notalist}}\n"]),
        HelmCase(
            name: "--set-string keeps everything a string",
            sets: [
                (.string, "replicaCount=3,b=true,n=null,z=0,e=,l={1,true},image.tag=010")
            ]),
        HelmCase(
            name: "--set-file reads file content", sets: [(.file, "cert=ca.pem,config.server.tls.cert=ca.pem"), (.file, "notes=notes.txt")],
            setFiles: ["ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "notes.txt": "yes"]),
        HelmCase(
            name: "--set-file list of files", sets: [(.file, "files={ca.pem,notes.txt}")],
            setFiles: ["ca.pem": "cert\n", "notes.txt": "  spaced  \n\n"]),
        HelmCase(
            name: "--set-json objects and scalars",
            sets: [
                (.json, #"image={"tag":"j","extra":[1,"two",null,true]}"#), (.json, #"n=null,e=,s="x,y",f=1.5,i=7"#)
            ]),
        HelmCase(name: "--set-json arrays and indexes", sets: [(.json, "a[0]=[1,2],b=[]"), (.json, #"service.ports[1]={"name":"j"}"#)]),
        HelmCase(
            name: "--set-json whole object merges like a file", files: ["extra: {keep: 1}\n"],
            sets: [(.json, #"{"config":{"tracing":{"enabled":true}},"extra":{"add":2}}"#)]),
        HelmCase(
            name: "--set-json key=value replaces a map", files: ["extra: {keep: 1}\n"],
            sets: [(.json, #"extra={"add":2}"#), (.json, #"config.tracing={"enabled":true}"#)]),
        HelmCase(
            name: "--set-json strings and numbers",
            sets: [
                (.json, #"u="\u00e9\t\"q\"",big=12345678901234567,one=1.0,neg=-0.25,e=1e-7"#), (.json, "sp=1 t=2")
            ]),
        HelmCase(
            name: "--set-literal takes the rest verbatim",
            sets: [
                (.literal, #"lit=a,b=c\,d{e}"#), (.literal, "config.server.endpoint=[::]:1"), (.literal, "l[1]=true"),
                (.literal, "u=ünïcödé ✓ =")
            ]),
        HelmCase(
            name: "kinds apply in Helm's order whatever the command-line order", files: ["k: file\n"],
            sets: [
                (.literal, "k=literal,x"), (.file, "k=f.txt,j=f.txt"), (.string, "k=string,j=string,s=string"),
                (.set, "k=set,j=set,s=set,t=set"), (.json, #"k="json",j="json",s="json",t="json",u="json""#)
            ], setFiles: ["f.txt": "file-content"]),
        HelmCase(
            name: "template strings pass through",
            files: [
                """
                tpl: "{{ .Release.Name }}-x"
                plain: '{{ include "x" . }}'
                block: |
                  {{- range .Values.list }}
                  - {{ . }}
                  {{- end }}
                """
            ],
            sets: [
                (.set, #"s=x-{{ .Values.a }},e=\{{ .Release.Name }}"#), (.literal, "l={{ .Chart.Name }}"),
                (.string, "str=a-{{ b }}")
            ]),
        HelmCase(
            name: "YAML 1.1 scalars in files",
            files: [
                """
                b1: yes
                b2: on
                b3: Off
                b4: no
                b5: y
                b6: N
                o1: 012
                o2: 0o17
                h: 0x1F
                u: 1_000
                tilde: ~
                exp: 1e3
                fl: 1.0
                plus: +1
                sexa: 1:30
                date: 2024-01-02
                """
            ]),
        HelmCase(
            name: "keys that YAML 1.1 reads as booleans or numbers",
            files: [
                """
                n: 1
                y: 2
                yes: 3
                off: 4
                1: one
                0x10: hex
                nested: {on: a, No: b, 2.5: c}
                """
            ]),
        HelmCase(
            name: "unicode keys and values", files: ["ключ: значение\n名前: \"日本語\"\nemoji: \"🚀 ✓\"\nimage: {tag: \"ü\"}\n"],
            sets: [(.set, "ünï.cödé=✓")]),
        HelmCase(name: "empty strings", files: ["a: \"\"\nb: ''\nimage: {tag: \"\"}\nlist: [\"\", x]\n"], sets: [(.set, "c=")]),
        HelmCase(
            name: "strings that look like other things",
            files: [
                """
                q1: "123"
                q2: '1.0'
                q3: "true"
                q4: "null"
                q5: "0x1F"
                q6: "012"
                q7: "yes"
                q8: "1e3"
                q9: "~"
                q10: "-"
                q11: "a: b"
                q12: "- x"
                q13: "#comment"
                q14: " leading"
                q15: "trailing "
                q16: "multi\\nline\\n"
                q17: "tab\\there"
                q18: "@at"
                q19: "`tick"
                q20: "*star"
                q21: "&amp"
                q22: "!bang"
                q23: "%pct"
                q24: "{curly}"
                q25: "[square]"
                q26: "quote\\"d"
                q27: "it's"
                q28: ">"
                q29: "|"
                q30: "?"
                q31: "1_000"
                q32: "2024-01-02"
                q33: ".5"
                q34: "+1"
                q35: "Y"
                """
            ]),
        HelmCase(
            name: "numbers in files",
            files: [
                """
                i: 42
                neg: -7
                big: 12345678901234567890
                b53: 9007199254740993
                f: 1.5
                small: 1e-7
                whole: 3.0
                huge: 1.5e300
                """
            ]),
        HelmCase(name: "multi-document values file", files: ["a: 1\nimage: {tag: d1}\n---\nb: 2\nimage: {pullPolicy: d2}\n---\n---\na: 3\n"]),
        HelmCase(
            name: "CRLF lines, separators with comments, no final newline",
            files: [
                "a: 1\r\nlit: |\r\n  x\r\n  y\r\n--- # second\r\nb: 2\r\nend: |\r\n  last",
                "c: 3\n...\nignored: true\n"
            ]),
        HelmCase(name: "empty and comment-only files", files: ["", "# only a comment\n", "---\n", "x: 1\n"]),
        HelmCase(
            name: "anchors, aliases and merge keys",
            files: [
                """
                base: &base {cpu: 1, mem: 2}
                derived:
                  <<: *base
                  mem: 3
                copy: *base
                list: &l [a, b]
                again: *l
                """
            ]),
        HelmCase(
            name: "block scalars and folded text",
            files: [
                """
                lit: |
                  line one
                    indented
                  last
                keep: |+
                  kept

                fold: >
                  folded
                  text
                strip: |-
                  no newline
                """
            ]),
        HelmCase(
            name: "-f and every --set kind together", files: ["image: {tag: f}\nservice: {type: NodePort}\n", "service: {ports: []}\n"],
            sets: [
                (.set, "service.ports[0].port=80"), (.string, "image.tag=010"), (.json, "labels={\"tier\":\"edge\"}"),
                (.literal, "annotations.note=a,b"), (.file, "config.server.tls.cert=c.pem")
            ],
            setFiles: ["c.pem": "PEM"])
    ]
}
