import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body (a form with a file), parsed by MultipartKit: each field's bytes and, for a file,
/// the name the browser gave it.
struct MultipartForm {
    struct Field {
        var filename: String?
        var body: ByteBuffer
        var text: String { String(buffer: self.body) }
    }

    var fields: [String: Field] = [:]

    /// The boundary of a `multipart/form-data` content type, or nil for any other type.
    static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
            let range = contentType.range(of: "boundary=", options: .caseInsensitive)
        else { return nil }
        let boundary = contentType[range.upperBound...].prefix { $0 != ";" }
            .trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        return boundary.isEmpty ? nil : boundary
    }

    init(_ buffer: ByteBuffer, boundary: String) throws {
        let parser = MultipartParser(boundary: boundary)
        var disposition = ""
        var body = ByteBuffer()
        var fields: [String: Field] = [:]
        parser.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { disposition = value }
        }
        parser.onBody = { body.writeBuffer(&$0) }
        parser.onPartComplete = {
            if let name = Self.parameter("name", of: disposition) {
                fields[name] = Field(filename: Self.parameter("filename", of: disposition), body: body)
            }
            disposition = ""
            body = ByteBuffer()
        }
        try parser.execute(buffer)
        self.fields = fields
    }

    /// `key` of a `Content-Disposition: form-data; name="…"; filename="…"` header, unquoted.
    static func parameter(_ key: String, of header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.lowercased().hasPrefix("\(key)=") else { continue }
            var value = pair.dropFirst(key.count + 1)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }
}
