import DeltaSync
import Foundation
import Testing

@testable import Plugin

/// `fastpush init`, run as the real binary on real app directories.
@Suite struct InitCommandTests {
    func withApp(_ files: [String: String], _ body: (String) async throws -> Void) async throws {
        let app = try FileTree.makeTemporaryDirectory(prefix: "fastpush-init")
        defer { try? FileTree.removeRecursively(app) }
        for (name, text) in files { try FileTree.write(Array(text.utf8), to: app + "/" + name) }
        try await body(app)
    }

    func read(_ path: String) throws -> String { String(decoding: try FileTree.read(path), as: UTF8.self) }

    @Test func theExampleAppGetsItsStartCommandAndAManifestOnlyWhenAskedAndASecondRunChangesNothing() async throws {
        let app = try FileTree.makeTemporaryDirectory(prefix: "fastpush-init-example")
        defer { try? FileTree.removeRecursively(app) }
        try ExampleApp.create(at: app)
        let shown = try await FastPushBinary.run(["init", app])
        #expect(shown.status == 0, "\(shown.errors)")
        #expect(shown.output.contains("A Python app that starts with `exec python app.py` (from the usual start of a Python app)."))
        #expect(shown.output.contains("  +   - fastpush_buildpack"))
        #expect(shown.output.contains("manifest.yml was not changed: run `fastpush init --write` to make this change."))
        #expect(try read(app + "/cf-fastpush-controller.yml").contains("backend_command: \"exec python app.py\"\n"))
        #expect(!FileManager.default.fileExists(atPath: app + "/manifest.yml"))

        let written = try await FastPushBinary.run(["init", app, "--write"])
        #expect(written.status == 0, "\(written.errors)")
        let name = URL(fileURLWithPath: app).lastPathComponent
        #expect(
            try read(app + "/manifest.yml")
                == "---\napplications:\n- name: \(name)\n  buildpacks:\n  - fastpush_buildpack\n  - python_buildpack\n  command: cf-fastpush-controller\n")

        let before = try FileManager.default.contentsOfDirectory(atPath: app).sorted()
        let again = try await FastPushBinary.run(["init", app, "--write"])
        #expect(again.status == 0)
        #expect(again.output.contains("cf-fastpush-controller.yml: already says so"))
        #expect(again.output.contains("manifest.yml: already prepared"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: app).sorted() == before, "no backup, no new file")
    }

    @Test func aManifestKeepsItsCommentsAndOrderAndABackup() async throws {
        let manifest = """
            ---
            # deployed by the team
            applications:
            - name: shop   # the storefront
              memory: 256M
              buildpack: python_buildpack
              command: python server.py --port $PORT  # start
              env:
                MODE: live

            """
        try await withApp(["manifest.yml": manifest, "server.py": "print()\n"]) { (app: String) async throws in
            let run = try await FastPushBinary.run(["init", app, "--write"])
            #expect(run.status == 0, "\(run.errors)")
            #expect(
                try read(app + "/manifest.yml") == """
                    ---
                    # deployed by the team
                    applications:
                    - name: shop   # the storefront
                      memory: 256M
                      buildpacks:
                        - fastpush_buildpack
                        - python_buildpack
                      command: cf-fastpush-controller
                      env:
                        MODE: live

                    """)
            #expect(try read(app + "/manifest.yml.before-fastpush") == manifest)
            #expect(try read(app + "/cf-fastpush-controller.yml").contains("backend_command: \"exec python server.py --port $PORT\""))
            #expect(run.output.contains("(from manifest.yml)"))
        }
        // A list of buildpacks gets FastPush's first; a flow list too.
        let listed = "applications:\n- name: a\n  buildpacks:\n  - nodejs_buildpack\n  command: npm start\n"
        try await withApp(["manifest.yml": listed, "package.json": "{}"]) { (app: String) async throws in
            #expect(try await FastPushBinary.run(["init", app, "--write"]).status == 0)
            #expect(
                try read(app + "/manifest.yml")
                    == "applications:\n- name: a\n  buildpacks:\n  - fastpush_buildpack\n  - nodejs_buildpack\n  command: cf-fastpush-controller\n")
        }
        try await withApp(["manifest.yml": "applications:\n  - name: a\n    buildpacks: [go_buildpack]\n", "go.mod": "module example.com/svc\n"]) { (app: String) async throws in
            #expect(try await FastPushBinary.run(["init", app, "--write"]).status == 0)
            #expect(
                try read(app + "/manifest.yml")
                    == "applications:\n  - name: a\n    buildpacks: [fastpush_buildpack, go_buildpack]\n    command: cf-fastpush-controller\n")
            #expect(try read(app + "/cf-fastpush-controller.yml").contains("\"exec svc\""))
        }
    }

    @Test func aProcfileForHerokuAndAPackageStartScript() async throws {
        let procfile = "web: node server.js\nworker: node jobs.js\n"
        try await withApp(["Procfile": procfile, "package.json": #"{"scripts": {"start": "node server.js"}}"#]) { (app: String) async throws in
            let run = try await FastPushBinary.run(["init", app, "--write"])
            #expect(run.status == 0, "\(run.errors)")
            #expect(try read(app + "/Procfile") == "web: cf-fastpush-controller\nworker: node jobs.js\n")
            #expect(try read(app + "/Procfile.before-fastpush") == procfile)
            #expect(try read(app + "/cf-fastpush-controller.yml").contains("\"exec node server.js\""))
            #expect(run.output.contains("heroku buildpacks:add --index 1"))
        }
        try await withApp(["package.json": #"{"scripts": {"start": "node index.js"}}"#]) { (app: String) async throws in
            let run = try await FastPushBinary.run(["init", app, "--heroku", "--write"])
            #expect(run.status == 0, "\(run.errors)")
            #expect(try read(app + "/Procfile") == "web: cf-fastpush-controller\n")
            #expect(try read(app + "/cf-fastpush-controller.yml").contains("\"exec npm start\""))
        }
    }

    @Test func nothingIsOverwrittenWithoutForceAndAnUnknownStartNeedsCommand() async throws {
        try await withApp(["cf-fastpush-controller.yml": "backend_command: ./run-it\n", "app.py": "print()\n"]) { (app: String) async throws in
            let refused = try await FastPushBinary.run(["init", app, "--command", "python app.py --debug", "--write"])
            #expect(refused.status == 1)
            #expect(
                refused.errors
                    == "fastpush: cf-fastpush-controller.yml exists with other settings (backend_command `./run-it`): nothing was changed; pass --force to replace it\n")
            #expect(try read(app + "/cf-fastpush-controller.yml") == "backend_command: ./run-it\n")
            #expect(!FileManager.default.fileExists(atPath: app + "/manifest.yml"), "nothing at all was written")
            let forced = try await FastPushBinary.run(["init", app, "--command", "python app.py --debug", "--force"])
            #expect(forced.status == 0)
            #expect(try read(app + "/cf-fastpush-controller.yml").contains("\"exec python app.py --debug\""))
        }
        try await withApp(["README": "hello\n"]) { (app: String) async throws in
            let unknown = try await FastPushBinary.run(["init", app])
            #expect(unknown.status == 1)
            #expect(unknown.errors.contains("cannot tell how an app starts here: give its start command"))
            let given = try await FastPushBinary.run(["init", app, "--command", "./server && echo stopped"])
            #expect(given.status == 0, "\(given.errors)")
            #expect(try read(app + "/cf-fastpush-controller.yml").contains("backend_command: \"./server && echo stopped\""))
        }
    }

    @Test func aControllerBinaryCanTravelInTheAppInstead() async throws {
        try await withApp(["app.py": "print()\n"]) { (app: String) async throws in
            let binary = BuildpackTests.controller
            let run = try await FastPushBinary.run(["init", app, "--controller", binary, "--write"])
            #expect(run.status == 0, "\(run.errors)")
            #expect(FileManager.default.contentsEqual(atPath: app + "/cf-fastpush-controller", andPath: binary))
            #expect(FileManager.default.isExecutableFile(atPath: app + "/cf-fastpush-controller"))
            let manifest = try read(app + "/manifest.yml")
            #expect(manifest.contains("  command: ./cf-fastpush-controller\n"))
            #expect(!manifest.contains("fastpush_buildpack"))
            let again = try await FastPushBinary.run(["init", app, "--controller", binary, "--write"])
            #expect(again.output.contains("manifest.yml: already prepared"))
            #expect(!again.output.contains("copied"))
        }
    }
}
