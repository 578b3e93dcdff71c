import DeltaSync
import Glibc
import Testing

@testable import Controller

/// An app directory with a sibling directory outside it, both removed when the test ends.
private final class AppFixture {
    let base: String
    let root: String
    let outside: String

    init() throws {
        base = try FileTree.makeTemporaryDirectory(prefix: "fastpush-legacy")
        root = base + "/app"
        outside = base + "/outside"
        try FileTree.makeDirectories(root)
        try FileTree.makeDirectories(outside)
    }

    deinit { try? FileTree.removeRecursively(base) }

    func write(_ text: String, to path: String, mode: UInt32 = 0o644, in directory: String? = nil) throws {
        let full = (directory ?? root) + "/" + path
        if let slash = full.lastIndex(of: "/") { try FileTree.makeDirectories(String(full[..<slash])) }
        try FileTree.write(Array(text.utf8), to: full, mode: mode)
    }

    func read(_ path: String) throws -> String {
        String(decoding: try FileTree.read(root + "/" + path), as: UTF8.self)
    }

    func symlink(_ path: String, to target: String) {
        #expect(Glibc.symlink(target, root + "/" + path) == 0)
    }

    func setModificationTime(_ path: String, seconds: Int) {
        let time = timespec(tv_sec: seconds, tv_nsec: 0)
        #expect(utimensat(AT_FDCWD, root + "/" + path, [time, time], AT_SYMLINK_NOFOLLOW) == 0)
    }

    func api(directories: [String] = [""], restart: String = RestartRegex.legacyDefault, ignore: String = "")
        throws -> LegacyFileAPI
    {
        var config = ControllerConfig()
        config.backendDirectories = directories
        config.restartRule = try RestartRegex(restart: restart, ignore: ignore)
        config.maxPushBytes = 1 << 20
        return LegacyFileAPI(config: config, appRoot: root, digests: LegacyDigestCache(racyInterval: 0))
    }

    /// Everything under `base` (app and outside): type, permission bits, content or link target, by path.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        var pending = [""]
        while let directory = pending.popLast() {
            let absolute = directory.isEmpty ? base : base + "/" + directory
            for raw in try SystemCall.directoryNames(absolute) {
                let name = String(decoding: raw, as: UTF8.self)
                let path = directory.isEmpty ? name : directory + "/" + name
                let status = try #require(try SystemCall.lstatIfPresent(base + "/" + path))
                let mode = String(status.st_mode & 0o7777, radix: 8)
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    result[path] = "dir \(mode)"
                    pending.append(path)
                case S_IFLNK:
                    var target = [CChar](repeating: 0, count: 4096)
                    let count = readlink(base + "/" + path, &target, target.count)
                    result[path] =
                        "link -> " + String(decoding: target[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                default:
                    result[path] =
                        "file \(mode) " + String(decoding: try FileTree.read(base + "/" + path), as: UTF8.self)
                }
            }
        }
        return result
    }
}

@Suite struct LegacyFileAPITests {
    // MARK: Listing

    @Test func listingMatchesGosJSONExactly() throws {
        let app = try AppFixture()
        try app.write("hello\n", to: "app.py")
        try app.write("body{}\n", to: "static/style.css")
        app.setModificationTime("app.py", seconds: 1_700_000_000)
        app.setModificationTime("static/style.css", seconds: 1_600_000_001)
        let body = try app.api().listingBody()
        let expected = #"""
            {"app.py":{"Checksum":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","Modification":1700000000,"Content":null},"static/style.css":{"Checksum":"2708d73bf31c36cdfa1aa466551ed101017280fa546caba4473cfef6e92a93b5","Modification":1600000001,"Content":null}}

            """#
        #expect(String(decoding: body, as: UTF8.self) == expected)
    }

    @Test func listingHasRegularFilesOnlyKeyedByBackendDirectory() throws {
        let app = try AppFixture()
        try app.write("hello\n", to: "src/app.py")
        try app.write("x", to: "src/deep/er/x.txt")
        try app.write("secret", to: "secret.txt", in: app.outside)
        try app.write("not listed", to: "other/y.py")
        app.symlink("src/escape", to: app.outside)
        app.symlink("src/link.txt", to: app.outside + "/secret.txt")
        let files = try app.api(directories: ["src"]).listFiles()
        #expect(files.keys.sorted() == ["src/app.py", "src/deep/er/x.txt"])
        #expect(files["src/app.py"]?.checksum == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        #expect(files["src/app.py"]?.content == nil)
        // The whole app lists everything regular, nested directories included, and never follows links.
        let all = try app.api(directories: ["", "src"]).listFiles()
        #expect(all.keys.sorted() == ["other/y.py", "src/app.py", "src/deep/er/x.txt"])
    }

    @Test func aMissingOrSymlinkedBackendDirectoryListsNothing() throws {
        let app = try AppFixture()
        try app.write("secret", to: "secret.py", in: app.outside)
        app.symlink("linked", to: app.outside)
        #expect(try app.api(directories: ["missing", "linked"]).listFiles().isEmpty)
    }

    @Test func unchangedFilesAreNotHashedAgain() throws {
        let app = try AppFixture()
        try app.write("hello\n", to: "a.py")
        try app.write("body{}\n", to: "b.css")
        let api = try app.api()
        let first = try api.listFiles()
        #expect(api.digests.hashedFileCount == 2)
        #expect(try api.listFiles() == first)
        #expect(api.digests.hashedFileCount == 2)

        // Same size, new content: the change time moves, so the file is hashed again.
        try app.write("print(2)\n", to: "a.py")
        try app.write("print(3)\n", to: "a.py")
        try app.write("print(2)\n", to: "a.py")
        let third = try api.listFiles()
        #expect(api.digests.hashedFileCount == 3)
        #expect(third["a.py"]?.checksum == "0111afd387e1ad576083c5039aa542faa2ed4a53d3e128bd03de990f9ea4255f")
        #expect(third["b.css"] == first["b.css"])

        try FileTree.removeRecursively(app.root + "/b.css")
        #expect(try api.listFiles().keys.sorted() == ["a.py"])
        #expect(api.digests.count == 1)
    }

    @Test func recentlyChangedFilesAreNotCachedWithTheDefaultRacyInterval() throws {
        let app = try AppFixture()
        try app.write("hello\n", to: "a.py")
        let api = LegacyFileAPI(config: ControllerConfig(), appRoot: app.root)
        _ = try api.listFiles()
        _ = try api.listFiles()
        #expect(api.digests.hashedFileCount == 2)
    }

    // MARK: Uploading what the Go plugin sends

    @Test func anUploadAsTheGoPluginSendsItIsWritten() throws {
        let app = try AppFixture()
        try app.write("print(0)\n", to: "app.py")
        let api = try app.api()
        let body = #"""
            {"app.py":{"Checksum":"8e7c0fd1b8fd6c0b8d7d6b7e0f5e0a1c9b1f0ad2b9e1f5c3c6c7d1a9e3b2c4d5","Modification":1700000000,"Content":"cHJpbnQoMSkK"},"static/new.css":{"Checksum":"2708d73bf31c36cdfa1aa466551ed101017280fa546caba4473cfef6e92a93b5","Modification":1700000001,"Content":"Ym9keXt9Cg=="}}
            """#
        let uploads = try api.decodeUpload(Array(body.utf8))
        #expect(uploads.map(\.path) == ["app.py", "static/new.css"])
        #expect(uploads.map(\.needsRestart) == [true, false])
        let result = try api.apply(uploads)
        #expect(result.updated == ["app.py", "static/new.css"])
        #expect(result.restartPaths == ["app.py"])
        #expect(result.health == "Restarting after updating 2 files")
        #expect(
            String(decoding: result.responseBody, as: UTF8.self)
                == "{\"Health\":\"Restarting after updating 2 files\"}\n")
        #expect(try app.read("app.py") == "print(1)\n")
        #expect(try app.read("static/new.css") == "body{}\n")
        let snapshot = try app.snapshot()
        #expect(snapshot["app/static"] == "dir 755")
        #expect(snapshot["app/static/new.css"] == "file 644 body{}\n")
        // No temporary files are left behind.
        #expect(snapshot.count == 5)
    }

    @Test func aStylesheetAloneDoesNotRestart() throws {
        let app = try AppFixture()
        let api = try app.api()
        let body = #"{"static/style.css":{"Content":"Ym9keXt9Cg=="},"static/a.css":{"Content":"eA=="}}"#
        let result = try api.apply(try api.decodeUpload(Array(body.utf8)))
        #expect(result.health == "Updated 2 files without restart")
        #expect(!result.needsRestart)
    }

    @Test func decodingFollowsGosLeniencyWhereOldClientsRelyOnIt() throws {
        let app = try AppFixture()
        try app.write("old", to: "run.sh", mode: 0o755)
        let api = try app.api()
        let body = """
             {
              "./run.sh": {"content": "ZWNobyBoaQo=", "Extra": [1, {"x": null}, -2.5e3, true]},
              "static//empty.txt": {"Content": null},
              "lines.txt": {"CONTENT": "eA\\r\\n==", "Checksum": null, "Modification": 0},
              "esc\\u00e9\\/d.txt": {"Content": "eA=="}
            }
            """
        let uploads = try api.decodeUpload(Array(body.utf8))
        #expect(uploads.map(\.path) == ["run.sh", "static/empty.txt", "lines.txt", "escé/d.txt"])
        let result = try api.apply(uploads)
        #expect(result.updated.count == 4)
        let snapshot = try app.snapshot()
        #expect(snapshot["app/run.sh"] == "file 755 echo hi\n")  // an existing file keeps its mode
        #expect(snapshot["app/static/empty.txt"] == "file 644 ")
        #expect(snapshot["app/lines.txt"] == "file 644 x")
        #expect(snapshot["app/escé/d.txt"] == "file 644 x")
        #expect(try api.decodeUpload(Array("null".utf8)).isEmpty)
        #expect(try api.apply(try api.decodeUpload(Array(" {} ".utf8))).health == "Updated 0 files without restart")
    }

    @Test func theAnswerKeepsTheOriginalsWording() throws {
        // Old plugins print `Health`: the original's sentences, and its failure count followed by the reason.
        let result = LegacyApplyResult(updated: ["good.py", "a.css"], restartPaths: ["good.py"])
        #expect(result.needsRestart)
        #expect(String(decoding: result.responseBody, as: UTF8.self) == "{\"Health\":\"Restarting after updating 2 files\"}\n")
        #expect(LegacyApplyResult(updated: ["a.css"]).health == "Updated 1 files without restart")
        #expect(
            LegacyApplyResult.failureHealth(files: 2, reason: "the server's disk is full")
                == "Failed to update 2 files: the server's disk is full")
    }

    // MARK: Hostile uploads

    /// Expects `body` to be refused with `code` and a message containing `phrase`, with no file changed.
    private func expectRefused(
        _ body: [UInt8], _ code: ControllerError.Code, _ phrase: String, app: AppFixture, api: LegacyFileAPI,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try app.snapshot()
        let listingBefore = try api.listFiles()
        do throws(ControllerError) {
            let uploads = try api.decodeUpload(body)
            Issue.record("accepted \(uploads.map(\.path))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix("push refused, nothing was written: "), sourceLocation: sourceLocation)
            #expect(error.message.contains(phrase), "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(try app.snapshot() == before, sourceLocation: sourceLocation)
        #expect(try api.listFiles() == listingBefore, sourceLocation: sourceLocation)
    }

    private func expectRefused(
        _ body: String, _ code: ControllerError.Code, _ phrase: String, app: AppFixture, api: LegacyFileAPI,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try expectRefused(Array(body.utf8), code, phrase, app: app, api: api, sourceLocation: sourceLocation)
    }

    /// An upload with a harmless first file and `path` second, so a partial write would show.
    private func upload(_ path: String, content: String = "eA==") -> String {
        #"{"good.py":{"Content":"eA=="},"# + "\"\(path)\"" + #":{"Content":""# + content + #""}}"#
    }

    private func hostileApp() throws -> AppFixture {
        let app = try AppFixture()
        try app.write("print(0)\n", to: "app.py")
        try app.write("body{}\n", to: "static/style.css")
        try app.write("root:x:0:0\n", to: "passwd", in: app.outside)
        app.symlink("escape", to: app.outside)
        app.symlink("passwd-link", to: app.outside + "/passwd")
        return app
    }

    @Test func pathsThatLeaveTheAppAreRefused() throws {
        let app = try hostileApp()
        let api = try app.api()
        try expectRefused(upload("../x"), .invalidPath, "'..' component", app: app, api: api)
        try expectRefused(upload("/etc/passwd"), .invalidPath, "it is absolute", app: app, api: api)
        try expectRefused(upload("a/../../x"), .invalidPath, "'..' component", app: app, api: api)
        try expectRefused(upload("static/.."), .invalidPath, "'..' component", app: app, api: api)
        try expectRefused(upload(#"a\u0000b.py"#), .invalidPath, "NUL", app: app, api: api)
        try expectRefused(upload("."), .invalidPath, "names the app directory", app: app, api: api)
        try expectRefused(upload("static/"), .invalidPath, "names a directory", app: app, api: api)
        try expectRefused(upload(""), .invalidPath, "names the app directory", app: app, api: api)
    }

    @Test func symlinksAreNeitherFollowedNorReplaced() throws {
        let app = try hostileApp()
        let api = try app.api()
        try expectRefused(upload("escape/passwd"), .invalidPath, "\"escape\" is a symlink", app: app, api: api)
        try expectRefused(upload("escape/new/evil.py"), .invalidPath, "is a symlink", app: app, api: api)
        try expectRefused(upload("passwd-link"), .invalidPath, "pushes do not replace", app: app, api: api)
        try expectRefused(upload("app.py/x.py"), .invalidPath, "is not a directory", app: app, api: api)
        try expectRefused(upload("static"), .invalidPath, "is a directory", app: app, api: api)
        #expect(try String(decoding: FileTree.read(app.outside + "/passwd"), as: UTF8.self) == "root:x:0:0\n")
    }

    @Test func aSymlinkPlantedAfterValidationStopsTheWholeApply() throws {
        let app = try hostileApp()
        let api = try app.api()
        let uploads = try api.decodeUpload(Array(upload("later/evil.py").utf8))
        app.symlink("later", to: app.outside)
        let before = try app.snapshot()
        #expect(throws: ControllerError.self) { try api.apply(uploads) }
        #expect(try app.snapshot() == before)
    }

    @Test func overlongNamesAreRefused() throws {
        let app = try hostileApp()
        let api = try app.api()
        let component = String(repeating: "n", count: 300)
        try expectRefused(upload(component + ".py"), .invalidPath, "longer than 255", app: app, api: api)
        let deep = Array(repeating: String(repeating: "d", count: 200), count: 25).joined(separator: "/")
        try expectRefused(upload(deep), .invalidPath, "longer than 4096", app: app, api: api)
    }

    @Test func pathsOutsideTheBackendDirectoriesAreRefused() throws {
        let app = try hostileApp()
        let api = try app.api(directories: ["static"])
        try expectRefused(
            #"{"static/ok.css":{"Content":"eA=="},"app.py":{"Content":"eA=="}}"#, .invalidPath,
            "outside the backend directories", app: app, api: api)
        try expectRefused(#"{"staticx/a.css":{"Content":"eA=="}}"#, .invalidPath, "outside", app: app, api: api)
    }

    @Test func invalidEncodingsAreRefused() throws {
        let app = try hostileApp()
        let api = try app.api()
        var invalidUTF8 = Array(#"{"good.py":{"Content":"eA=="},"bad"#.utf8)
        invalidUTF8 += [0xFF, 0xFE]
        invalidUTF8 += Array(#".py":{"Content":"eA=="}}"#.utf8)
        try expectRefused(invalidUTF8, .invalidRequest, "not valid UTF-8", app: app, api: api)
        try expectRefused(upload("a.py", content: "!!!!"), .invalidRequest, "not valid base64", app: app, api: api)
        try expectRefused(upload("a.py", content: "eA"), .invalidRequest, "padding", app: app, api: api)
        try expectRefused(upload("a.py", content: "eA==eA=="), .invalidRequest, "after the padding", app: app, api: api)
        try expectRefused(upload("a.py", content: "e==="), .invalidRequest, "not valid base64", app: app, api: api)
        try expectRefused(upload("a.py", content: "eA-_"), .invalidRequest, "'-'", app: app, api: api)
        try expectRefused(upload(#"\ud800.py"#), .invalidRequest, "lone surrogate", app: app, api: api)
    }

    @Test func duplicatePathsAreRefused() throws {
        let app = try hostileApp()
        let api = try app.api()
        try expectRefused(
            #"{"a.py":{"Content":"eA=="},"./a.py":{"Content":"eQ=="}}"#, .invalidRequest,
            #""a.py" and "./a.py" name the same file"#, app: app, api: api)
        try expectRefused(
            #"{"a.py":{"Content":"eA=="},"a.py":{"Content":"eQ=="}}"#, .invalidRequest, "appears twice", app: app,
            api: api)
        try expectRefused(
            #"{"static/x.css":{"Content":"eA=="},"static//./x.css":{"Content":"eQ=="}}"#, .invalidRequest,
            "name the same file", app: app, api: api)
    }

    @Test func malformedJSONIsRefused() throws {
        let app = try hostileApp()
        let api = try app.api()
        try expectRefused(#"{"a.py":{"Content":"eA=="}"#, .invalidRequest, "ends early", app: app, api: api)
        try expectRefused(
            #"{"a.py":{"Content":"eA=="}} x"#, .invalidRequest, "after the JSON value", app: app, api: api)
        try expectRefused(#"["a.py"]"#, .invalidRequest, "an object mapping paths", app: app, api: api)
        try expectRefused(#"{"a.py":null}"#, .invalidRequest, "is null", app: app, api: api)
        try expectRefused(#"{"a.py":"eA=="}"#, .invalidRequest, "an object for the entry", app: app, api: api)
        try expectRefused(#"{"a.py":{"Content":42}}"#, .invalidRequest, "must be a base64 string", app: app, api: api)
        try expectRefused("{\"a\tb.py\":{}}", .invalidRequest, "control character", app: app, api: api)
        try expectRefused(#"{"a.py":{"X":01}}"#, .invalidRequest, "expected a value", app: app, api: api)
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        try expectRefused(#"{"a.py":{"X":"# + deep + "}}", .invalidRequest, "nested more than", app: app, api: api)
        try expectRefused("", .invalidRequest, "ends early", app: app, api: api)
    }

    @Test func anUploadOverTheLimitIsRefused() throws {
        let app = try hostileApp()
        let api = try app.api()
        let big = String(repeating: "QUFB", count: (1 << 20) / 4)
        try expectRefused(upload("big.bin", content: big), .limitExceeded, "max_push_bytes", app: app, api: api)
    }

    // MARK: Tokens and JSON details

    @Test func theLegacyTokenRule() {
        var config = ControllerConfig()
        let vcap = #"{"application_id":"9f1e5c2a-guid","application_name":"demo"}"#
        #expect(LegacyFileAPI.legacyToken(config: config, environment: ["VCAP_APPLICATION": vcap]) == "9f1e5c2a-guid")
        #expect(LegacyFileAPI.legacyToken(config: config, environment: [:]) == nil)
        #expect(LegacyFileAPI.legacyToken(config: config, environment: ["VCAP_APPLICATION": "{not json"]) == nil)
        #expect(
            LegacyFileAPI.legacyToken(config: config, environment: ["VCAP_APPLICATION": #"{"application_id":""}"#])
                == nil)
        config.token = "configured"
        #expect(LegacyFileAPI.legacyToken(config: config, environment: ["VCAP_APPLICATION": vcap]) == "configured")
    }

    @Test func tokenComparison() {
        #expect(LegacyFileAPI.tokenMatches("abc", expected: "abc"))
        #expect(!LegacyFileAPI.tokenMatches("abd", expected: "abc"))
        #expect(!LegacyFileAPI.tokenMatches("ab", expected: "abc"))
        #expect(!LegacyFileAPI.tokenMatches("abcd", expected: "abc"))
        #expect(!LegacyFileAPI.tokenMatches(nil, expected: "abc"))
        #expect(!LegacyFileAPI.tokenMatches("", expected: ""))
        #expect(!LegacyFileAPI.tokenMatches("abc", expected: nil))
    }

    @Test func stringsAreEscapedAsGoEscapesThem() {
        let entry = LegacyFileEntry(checksum: "c", modification: -1, content: [0xFB, 0xFF])
        let body = LegacyJSON.encode(files: ["<a>&\"\\\n\u{1}\u{2028}é.py": entry, "b": entry])
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"\u003ca\u003e\u0026\"\\\n\u0001\u2028é.py":"#
                + #"{"Checksum":"c","Modification":-1,"Content":"+/8="},"#
                + #""b":{"Checksum":"c","Modification":-1,"Content":"+/8="}}"# + "\n")
        #expect(String(decoding: LegacyJSON.encode(health: "Running"), as: UTF8.self) == "{\"Health\":\"Running\"}\n")
    }

    @Test func base64RoundTrips() throws {
        for length in 0..<64 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = LegacyJSON.base64Encode(bytes)
            #expect(try LegacyJSON.base64Decode(text[...]) == bytes)
        }
        #expect(String(decoding: LegacyJSON.base64Encode(Array("hello\n".utf8)), as: UTF8.self) == "aGVsbG8K")
    }
}
