/// How many request bodies the controller holds in memory at once.
///
/// A push body (v2 or legacy) is collected whole, up to `max_push_bytes`, before it is checked: pushes are applied
/// one at a time, but any number could be arriving. Requests beyond the allowance wait for a place before their
/// body is read (TCP holds the rest back), so memory stays within `slots` × `max_push_bytes`.
actor BodyAllowance {
    private let slots: Int
    private var inUse = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) {
        precondition(slots > 0, "an allowance of no bodies would never serve a push")
        self.slots = slots
    }

    /// Runs `work`, which reads and uses a body, once fewer than `slots` others do.
    nonisolated func holding<Value: Sendable>(_ work: () async throws -> Value) async throws -> Value {
        await enter()
        do {
            let value = try await work()
            await leave()
            return value
        } catch {
            await leave()
            throw error
        }
    }

    private func enter() async {
        if inUse < slots {
            inUse += 1
        } else {
            // The place is handed over by `leave`, so `inUse` already counts this body when it resumes.
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    private func leave() {
        if waiting.isEmpty { inUse -= 1 } else { waiting.removeFirst().resume() }
    }
}
