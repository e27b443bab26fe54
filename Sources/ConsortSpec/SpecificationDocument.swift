import ConsortPKI
import Foundation

/// A CTS file as found on disk: either the plain CTS bytes or a JWS carrying them (`consort cts sign` output).
package struct SpecificationDocument: Sendable {
    /// The exact CTS bytes (the JWS payload, if signed).
    package var payload: [UInt8]
    /// The JWS, if the file is signed.
    package var jws: MultiSignatureJWS?

    package var taskID: String { MultiSignatureJWS.taskID(of: self.payload) }

    package init(bytes: [UInt8]) throws {
        let value = try StrictJSONReader().parse(bytes)
        if let object = value.objectValue, object["payload"] != nil, object["signatures"] != nil,
            object["consort"] == nil
        {
            let jws = try MultiSignatureJWS(parsing: bytes)
            self.payload = jws.payload
            self.jws = jws
        } else {
            self.payload = bytes
            self.jws = nil
        }
    }

    package static func read(_ path: String) throws -> SpecificationDocument {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SpecError(.fileAccess, "cannot read '\(path)': \(error.localizedDescription)", underlying: error)
        }
        do {
            return try SpecificationDocument(bytes: Array(data))
        } catch let error as SpecError {
            throw SpecError(error.code, "'\(path)': \(error.message)", diagnostics: error.diagnostics)
        }
    }

    /// Reads and checks the CTS: strict parse, shape and cross-field validation. Returns the model (if its shape is
    /// right) and every diagnostic.
    package func specification(
        now: Date = Date(), members: [MemberID: Set<MemberRole>]? = nil, engines: (any EngineSupport)? = nil
    )
        throws -> (ComputationTaskSpecification?, [Diagnostic])
    {
        let value = try StrictJSONReader().parse(self.payload)
        let (cts, shape) = CTSReader.read(value)
        guard let cts else { return (nil, shape) }
        return (cts, CTSValidator.validate(cts, now: now, members: members, engines: engines))
    }

    /// The CTS as written, without validating it again (its deadlines, members, engine and query): what a node reads
    /// of a document it accepted — for a status poll, the deadline watcher, a seat — where validation would only
    /// repeat work (the query's type check among it) whose verdict is not used.
    package func storedSpecification() throws -> ComputationTaskSpecification? {
        CTSReader.read(try StrictJSONReader().parse(self.payload)).0
    }

    /// The valid CTS, or an `invalidDocument` error listing every problem.
    package func validSpecification(
        now: Date = Date(), members: [MemberID: Set<MemberRole>]? = nil, engines: (any EngineSupport)? = nil
    ) throws -> ComputationTaskSpecification {
        let (cts, diagnostics) = try self.specification(now: now, members: members, engines: engines)
        let errors = diagnostics.filter { $0.severity == .error }
        guard let cts, errors.isEmpty else {
            throw SpecError(.invalidDocument, "the CTS has \(errors.count) problem(s)", diagnostics: errors)
        }
        return cts
    }
}
