/// The end of a push to several instances: one line per instance (those skipped with their state), then whether
/// the instances pushed to all hold the same tree.
struct InstanceReport {
    let results: [(label: String, outcome: PushSession.Outcome?, error: String?)]
    var skipped: [(label: String, state: String)] = []
    let dryRun: Bool

    var allSucceeded: Bool { results.allSatisfy { $0.outcome?.succeeded == true } }

    /// Root digests and the instances at each, in the order first seen.
    var groups: [(digest: String, labels: [String])] {
        var groups: [(digest: String, labels: [String])] = []
        for result in results {
            guard let digest = result.outcome?.rootDigest else { continue }
            if let index = groups.firstIndex(where: { $0.digest == digest }) {
                groups[index].labels.append(result.label)
            } else {
                groups.append((digest, [result.label]))
            }
        }
        return groups
    }

    func print(to terminal: Terminal) {
        terminal.print("")
        for result in results {
            if let error = result.error {
                terminal.print("\(result.label): " + terminal.paint("failed: \(error)", .red))
                continue
            }
            guard let outcome = result.outcome else { continue }
            let answer = outcome.answer
            let changes = answer.map { "\($0.files.count) change\($0.files.count == 1 ? "" : "s")" } ?? "nothing to push"
            let action = answer?.action.map { ", \($0)" } ?? ""
            let root = outcome.rootDigest.map { ", root \($0.prefix(12))…" } ?? ""
            let state = outcome.succeeded ? "" : terminal.paint(" (not everything went well: see above)", .yellow)
            terminal.print("\(result.label): \(changes)\(action)\(root)\(state)")
        }
        for instance in skipped { terminal.print("\(instance.label): " + terminal.paint("skipped, \(instance.state)", .yellow)) }
        guard !dryRun else { return }
        let groups = self.groups
        let unknown = results.filter { $0.outcome?.rootDigest == nil }.map(\.label)
        if groups.count == 1 && unknown.isEmpty {
            let instances = skipped.isEmpty ? "All \(results.count) instances" : "All \(results.count) running instances"
            terminal.print(terminal.paint("\(instances) have the same files (root \(groups[0].digest.prefix(12))…).", .green))
        } else {
            terminal.print(terminal.paint("The instances do not all have the same files:", .yellow))
            for group in groups { terminal.print("  root \(group.digest.prefix(12))…: \(group.labels.joined(separator: ", "))") }
            if !unknown.isEmpty { terminal.print("  unknown: \(unknown.joined(separator: ", "))") }
        }
    }
}
