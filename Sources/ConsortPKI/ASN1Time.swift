import Foundation
import SwiftASN1

/// X.509 `Time` (RFC 5280 §4.1.2.5): UTCTime for years 1950-2049, GeneralizedTime otherwise, always in UTC.
enum ASN1Time {
    static func parse(_ node: ASN1Node) throws -> Date {
        switch node.identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: node)
            return try Self.date(time.year, time.month, time.day, time.hours, time.minutes, time.seconds, 0)
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: node)
            return try Self.date(
                time.year, time.month, time.day, time.hours, time.minutes, time.seconds, time.fractionalSeconds
            )
        default:
            throw PKIError(.malformedInput, "expected a UTCTime or GeneralizedTime, found \(node.identifier)")
        }
    }

    static func serialize(_ date: Date, into coder: inout DER.Serializer) throws {
        let parts = Self.calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = parts.year!
        if (1950..<2050).contains(year) {
            try coder.serialize(
                UTCTime(
                    year: year, month: parts.month!, day: parts.day!, hours: parts.hour!, minutes: parts.minute!,
                    seconds: parts.second!)
            )
        } else {
            try coder.serialize(
                GeneralizedTime(
                    year: year, month: parts.month!, day: parts.day!, hours: parts.hour!,
                    minutes: parts.minute!, seconds: parts.second!, fractionalSeconds: 0)
            )
        }
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private static func date(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int, _ fraction: Double
    ) throws -> Date {
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = Self.calendar.date(from: components) else {
            throw PKIError(.malformedInput, "invalid date \(year)-\(month)-\(day)")
        }
        return date.addingTimeInterval(fraction)
    }
}
