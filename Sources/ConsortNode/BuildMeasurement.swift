import CConsortBuild
import ConsortMPC
import ConsortPKI
import ConsortSpec
import Crypto
import Foundation

/// What a computing party runs, as it reports it at the start of every MPC session (`Specs/attestation.md`): the
/// SHA-256 of its own executable, the release version and the commit it was built from, signed with its node key over
/// the session, so each party holds the others' signed claims and a CTS can pin the builds it allows
/// (`engine.measurements`).
///
/// Without a TEE this is a claim, not a proof: a node that lies about its binary is caught only by the signature
/// it leaves in every peer's audit log. An attested quote (SGX, TDX, SEV-SNP) would replace the signature.
package struct BuildMeasurement: Sendable, Equatable {
    /// The release version `consort --version` prints.
    package static let version = "0.1.0"

    /// SHA-256 (lowercase hex) of the executable.
    package var sha256: String
    package var version: String
    /// The commit (40 hex digits) a release build was stamped with (`scripts/package`), or "unknown".
    package var commit: String

    /// This binary's commit, as the release scripts stamped it.
    package static let commit: String = {
        let stamped = String(cString: consort_build_commit())
        return stamped.isEmpty ? "unknown" : stamped
    }()

    /// This process's measurement, hashed once (`/proc/self/exe`: the binary the kernel runs, whatever its path), a
    /// MiB at a time: the release binary is over 100 MiB, which need not all be resident at once. A node starts it in
    /// the background when it starts (`NodeServer.services`), so its first MPC session does not wait for it.
    package static let current: BuildMeasurement = {
        let path =
            FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : CommandLine.arguments[0]
        var hasher = SHA256()
        if let file = FileHandle(forReadingAtPath: path) {
            defer { try? file.close() }
            while let chunk = try? file.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        }
        return BuildMeasurement(
            sha256: Hex.encode(Array(hasher.finalize())), version: Self.version, commit: Self.commit)
    }()

    /// What party `member` signs for session `task`.
    func statement(task: String, member: MemberID) -> [UInt8] {
        Array("consort-measurement/2\n\(task)\n\(member)\n\(self.sha256)\n\(self.version)\n\(self.commit)".utf8)
    }

    /// One party's signed claim as it travels: JSON `{"sha256", "version", "commit", "signature"}` in words (byte
    /// count first).
    struct Signed: Sendable {
        var measurement: BuildMeasurement
        var signature: [UInt8]

        func words() -> [UInt64] {
            let json = JSONWriter.write(
                .object(
                    JSONObject([
                        ("sha256", .string(self.measurement.sha256)), ("version", .string(self.measurement.version)),
                        ("commit", .string(self.measurement.commit)),
                        ("signature", .string(Base64URL.encode(self.signature))),
                    ])))
            var words = [UInt64(json.count)]
            for start in stride(from: 0, to: json.count, by: 8) {
                words.append(json[start..<min(start + 8, json.count)].reversed().reduce(0) { $0 << 8 | UInt64($1) })
            }
            return words
        }

        init(measurement: BuildMeasurement, signature: [UInt8]) {
            self.measurement = measurement
            self.signature = signature
        }

        init(words: [UInt64], from party: Int) throws {
            let malformed = MPCError(.protocolViolation, "computing party \(party) sent a malformed build measurement")
            guard let count = words.first, count <= 4096, words.count == 1 + (Int(count) + 7) / 8 else {
                throw malformed
            }
            var bytes: [UInt8] = []
            for word in words.dropFirst() {
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * i))) }
            }
            guard case .object(let object)? = try? StrictJSONReader().parse(Array(bytes.prefix(Int(count)))),
                case .string(let sha)? = object["sha256"], case .string(let version)? = object["version"],
                case .string(let commit)? = object["commit"], case .string(let signature)? = object["signature"],
                let raw = Base64URL.decode(signature)
            else { throw malformed }
            self.init(measurement: BuildMeasurement(sha256: sha, version: version, commit: commit), signature: raw)
        }
    }
}
