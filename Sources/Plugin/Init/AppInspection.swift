import DeltaSync
import Foundation

/// What `fastpush init` finds out about an app directory: its kind (and so its Cloud Foundry language buildpack)
/// and the command that starts it, with where that command came from.
struct AppInspection {
    enum Kind: String {
        case python, node, ruby, go, java, php, staticSite = "static", unknown

        /// How people call such an app: "a Python app".
        var described: String {
            switch self {
            case .python: "a Python app"
            case .node: "a Node.js app"
            case .ruby: "a Ruby app"
            case .go: "a Go app"
            case .java: "a Java app"
            case .php: "a PHP app"
            case .staticSite: "a static site"
            case .unknown: "an app"
            }
        }

        /// The Cloud Foundry buildpack that builds such an app (the final one, after FastPush's).
        var buildpack: String? {
            switch self {
            case .python: "python_buildpack"
            case .node: "nodejs_buildpack"
            case .ruby: "ruby_buildpack"
            case .go: "go_buildpack"
            case .java: "java_buildpack"
            case .php: "php_buildpack"
            case .staticSite: "staticfile_buildpack"
            case .unknown: nil
            }
        }
    }

    let kind: Kind
    /// The app's own start command, or `nil` when nothing says how it starts.
    let command: String?
    /// Where ``command`` was found: `manifest.yml`, `Procfile`, `package.json`, or the default for the kind.
    let source: String
    /// ``command`` is only the usual start of such an app: what the app's own files say comes first.
    var isDefault: Bool { source.hasPrefix("the usual") }

    /// The controller's own name, as a start command; a start file that already names it has been prepared.
    static let controllerCommands: Set<String> = ["cf-fastpush-controller", "./cf-fastpush-controller"]

    init(directory: String, manifest: ManifestFile?, procfile: ProcfileFile?) {
        let kind = Self.kind(of: directory)
        self.kind = kind
        if let command = manifest?.command, !Self.controllerCommands.contains(command) {
            (self.command, source) = (command, "manifest.yml")
        } else if let command = procfile?.webCommand, !Self.controllerCommands.contains(command) {
            (self.command, source) = (command, "Procfile")
        } else if let start = Self.packageStartScript(directory) {
            (self.command, source) = (start, "package.json")
        } else if let command = Self.defaultCommand(kind, directory) {
            (self.command, source) = (command, "the usual start of \(kind.described)")
        } else {
            (self.command, source) = (nil, "")
        }
    }

    private static func exists(_ directory: String, _ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + name)
    }

    private static func kind(of directory: String) -> Kind {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        func has(_ name: String) -> Bool { names.contains(name) }
        let python = ["requirements.txt", "pyproject.toml", "Pipfile", "app.py", "main.py", "server.py", "manage.py"]
        if python.contains(where: has) {
            return .python
        }
        if has("package.json") { return .node }
        if has("Gemfile") || has("config.ru") { return .ruby }
        if has("go.mod") { return .go }
        if has("pom.xml") || has("build.gradle") || has("build.gradle.kts") || names.contains(where: { $0.hasSuffix(".jar") }) {
            return .java
        }
        if has("composer.json") || has("index.php") { return .php }
        if has("Staticfile") || has("index.html") { return .staticSite }
        return .unknown
    }

    /// `npm start` when package.json has a start script.
    private static func packageStartScript(_ directory: String) -> String? {
        guard let data = FileManager.default.contents(atPath: directory + "/package.json"),
            let package = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let scripts = package["scripts"] as? [String: Any], scripts["start"] is String
        else { return nil }
        return "npm start"
    }

    private static func defaultCommand(_ kind: Kind, _ directory: String) -> String? {
        switch kind {
        case .python:
            if exists(directory, "manage.py") { return "python manage.py runserver 0.0.0.0:$PORT" }
            for main in ["app.py", "main.py", "server.py"] where exists(directory, main) { return "python \(main)" }
            return nil
        case .node:
            for main in ["server.js", "index.js", "app.js"] where exists(directory, main) { return "node \(main)" }
            return nil
        case .ruby:
            return exists(directory, "config.ru") ? "bundle exec rackup config.ru --host 0.0.0.0 --port $PORT" : nil
        case .go:
            // The Go buildpacks build the module's main package into bin/, named after the module's last element.
            guard let text = try? String(contentsOfFile: directory + "/go.mod", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("module ") }),
                let name = line.dropFirst("module ".count).split(separator: "/").last
            else { return nil }
            return String(name).trimmingCharacters(in: .whitespaces)
        case .java:
            let jars = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".jar") }
            return jars.count == 1 ? "java -jar \(jars[0])" : nil
        case .staticSite:
            return "python3 -m http.server $PORT"
        case .php, .unknown:
            return nil
        }
    }
}
