/// Versioned schema migrations of the audit tables, one list per database dialect. Applied in order, each version
/// once, recorded in `consort_migrations`; never edited once released — changes come as new versions.
enum AuditSchema {
    static let component = "audit"

    static let sqlite: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE audit_entries (
                    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
                    time TEXT NOT NULL,
                    node TEXT NOT NULL,
                    actor_fingerprint TEXT NOT NULL,
                    actor_subject TEXT NOT NULL,
                    action TEXT NOT NULL,
                    task_id TEXT,
                    details TEXT NOT NULL,
                    prev_hash BLOB NOT NULL,
                    entry_hash BLOB NOT NULL,
                    signature BLOB NOT NULL
                )
                """,
                """
                CREATE TABLE audit_checkpoints (
                    node TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    root_hash BLOB NOT NULL,
                    time TEXT NOT NULL,
                    signature BLOB NOT NULL,
                    PRIMARY KEY (node, size)
                )
                """,
                """
                CREATE TABLE audit_witnesses (
                    node TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    witness TEXT NOT NULL,
                    time TEXT NOT NULL,
                    signature BLOB NOT NULL,
                    chain BLOB NOT NULL,
                    PRIMARY KEY (node, size, witness)
                )
                """,
            ]
                + ["audit_entries", "audit_checkpoints", "audit_witnesses"].flatMap { table in
                    ["UPDATE", "DELETE"].map { operation in
                        """
                        CREATE TRIGGER \(table)_no_\(operation.lowercased()) BEFORE \(operation) ON \(table)
                        BEGIN SELECT RAISE(ABORT, 'consort audit data is append-only: \(operation) on \(table) refused'); END
                        """
                    }
                }
        )
    ]

    static let postgres: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE audit_entries (
                    seq BIGINT PRIMARY KEY CHECK (seq >= 1),
                    time TEXT NOT NULL,
                    node TEXT NOT NULL,
                    actor_fingerprint TEXT NOT NULL,
                    actor_subject TEXT NOT NULL,
                    action TEXT NOT NULL,
                    task_id TEXT,
                    details TEXT NOT NULL,
                    prev_hash BYTEA NOT NULL,
                    entry_hash BYTEA NOT NULL,
                    signature BYTEA NOT NULL
                )
                """,
                """
                CREATE TABLE audit_checkpoints (
                    node TEXT NOT NULL,
                    size BIGINT NOT NULL,
                    root_hash BYTEA NOT NULL,
                    time TEXT NOT NULL,
                    signature BYTEA NOT NULL,
                    PRIMARY KEY (node, size)
                )
                """,
                """
                CREATE TABLE audit_witnesses (
                    node TEXT NOT NULL,
                    size BIGINT NOT NULL,
                    witness TEXT NOT NULL,
                    time TEXT NOT NULL,
                    signature BYTEA NOT NULL,
                    chain BYTEA NOT NULL,
                    PRIMARY KEY (node, size, witness)
                )
                """,
                """
                CREATE FUNCTION consort_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'consort audit data is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                        USING ERRCODE = 'insufficient_privilege';
                END $$
                """,
            ]
                + ["audit_entries", "audit_checkpoints", "audit_witnesses"].flatMap { table in
                    [
                        "CREATE TRIGGER \(table)_append_only BEFORE UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION consort_audit_append_only()",
                        "CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION consort_audit_append_only()",
                    ]
                }
        )
    ]

    /// Chain certificates stored in one column: each DER certificate prefixed by its 4-byte big-endian length.
    static func packChain(_ chain: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for certificate in chain {
            let count = UInt32(certificate.count)
            out += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            out += certificate
        }
        return out
    }

    static func unpackChain(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var chain: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard index + 4 <= bytes.count else { throw AuditError(.malformedEntry, "truncated certificate chain") }
            let count =
                Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
                | Int(bytes[index + 3])
            index += 4
            guard index + count <= bytes.count else { throw AuditError(.malformedEntry, "truncated certificate chain") }
            chain.append(Array(bytes[index..<index + count]))
            index += count
        }
        return chain
    }
}
