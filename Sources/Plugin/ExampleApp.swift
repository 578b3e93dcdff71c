import DeltaSync

/// A small Python web app with a data file, for the demo.
enum ExampleApp {
    static func create(at root: String) throws {
        try FileTree.makeDirectories(root + "/templates")
        try FileTree.makeDirectories(root + "/static")
        try FileTree.makeDirectories(root + "/data")
        try FileTree.write(Array(appSource(greeting: "Hello").utf8), to: root + "/app.py")
        try FileTree.write(Array("flask==3.0.0\n".utf8), to: root + "/requirements.txt")
        try FileTree.write(Array("<h1>{{ greeting }}</h1>\n".utf8), to: root + "/templates/index.html")
        try FileTree.write(Array("<p>old page</p>\n".utf8), to: root + "/templates/old.html")
        try FileTree.write(Array("body { font-family: sans-serif; }\n".utf8), to: root + "/static/style.css")
        try FileTree.write(Array("#!/bin/sh\nexec python app.py\n".utf8), to: root + "/run.sh")
        try FileTree.write(Array("*.log\n".utf8), to: root + "/.cfignore")
        try FileTree.write(Array("local debugging output\n".utf8), to: root + "/debug.log")
        try FileTree.write(pseudoRandomBytes(count: 4 << 20, seed: 7), to: root + "/data/model.bin")
    }

    /// What a developer does between two pushes.
    static func edit(at root: String) throws {
        try FileTree.write(Array(appSource(greeting: "Hello, FastPush").utf8), to: root + "/app.py")
        var model = try FileTree.read(root + "/data/model.bin")
        for offset in stride(from: 1_000_000, to: 1_000_400, by: 1) { model[offset] ^= 0x5A }
        try FileTree.write(model, to: root + "/data/model.bin")
        try FileTree.write(Array("console.log('live reload')\n".utf8), to: root + "/static/app.js")
        try FileTree.removeRecursively(root + "/templates/old.html")
        try FileTree.write(Array("#!/bin/sh\nexec python app.py\n".utf8), to: root + "/run.sh", mode: 0o755)
        try FileTree.write(Array("more local output\n".utf8), to: root + "/debug.log")
    }

    private static func appSource(greeting: String) -> String {
        var lines = ["from flask import Flask, render_template", "", "app = Flask(__name__)", ""]
        for index in 0..<120 {
            lines.append("@app.route('/page/\(index)')")
            lines.append("def page_\(index)():")
            lines.append("    return render_template('index.html', greeting='page \(index)')")
            lines.append("")
        }
        lines += ["@app.route('/')", "def index():", "    return render_template('index.html', greeting='\(greeting)')", ""]
        return lines.joined(separator: "\n")
    }

    /// Deterministic bytes that do not compress, standing in for a binary asset.
    static func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        return bytes
    }
}
