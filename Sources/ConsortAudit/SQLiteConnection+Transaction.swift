import SQLiteNIO

extension SQLiteConnection {
    /// Runs `body` in a `BEGIN IMMEDIATE` transaction (the caller serialises its writers): committed if `body`
    /// returns, rolled back if it throws. A transaction an earlier failure left open on this connection (its COMMIT
    /// and its ROLLBACK both failed, and its caller was told the write failed) is rolled back first, instead of
    /// refusing every later write with "cannot start a transaction within a transaction".
    package func immediateTransaction<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            _ = try await self.query("BEGIN IMMEDIATE")
        } catch let error as SQLiteError where error.message.contains("within a transaction") {
            _ = try await self.query("ROLLBACK")
            _ = try await self.query("BEGIN IMMEDIATE")
        }
        do {
            let result = try await body()
            _ = try await self.query("COMMIT")
            return result
        } catch {
            _ = try? await self.query("ROLLBACK")
            throw error
        }
    }
}
