import ConsortQuery
import Foundation

/// Charts of a result, drawn as SVG on the server (no script): with one GROUP BY key, a bar chart per aggregate
/// (bars per group — a histogram when the key is a bucket); with two keys, a heat map of the first aggregate over
/// the crosstab. Suppressed cells are drawn as absent and labelled so. Text is XML-escaped here, as the SVG is put
/// in the page as markup.
enum ResultChart {
    struct Chart {
        var title: String
        var svg: String
    }

    static func charts(_ result: QueryResult, groups: [Bool]) -> [Chart] {
        let keys = result.columns.indices.filter { groups.indices.contains($0) && groups[$0] }
        let measures = result.columns.indices.filter { !keys.contains($0) }
        switch keys.count {
        case 1:
            return measures.prefix(4).map { measure in
                Chart(
                    title: "\(result.columns[measure]) by \(result.columns[keys[0]])",
                    svg: self.bars(result, key: keys[0], measure: measure))
            }
        case 2 where !measures.isEmpty:
            return [
                Chart(
                    title:
                        "\(result.columns[measures[0]]) by \(result.columns[keys[0]]) and \(result.columns[keys[1]])",
                    svg: self.heatMap(result, rows: keys[0], columns: keys[1], measure: measures[0]))
            ]
        default:
            return []
        }
    }

    static func number(_ value: ResultValue?) -> Double? {
        switch value {
        case .integer(let v): return Double(v)
        case .decimal(let units, let scale): return Double(units) / pow(10, Double(scale))
        case .real(let v): return v
        case .boolean(let v): return v ? 1 : 0
        case .text, nil: return nil
        }
    }

    static func label(_ value: ResultValue?) -> String {
        value.map { QueryResult.text($0) } ?? "(suppressed)"
    }

    /// A group's label: nil is the NULL group's.
    static func keyLabel(_ value: ResultValue?) -> String {
        value.map { QueryResult.text($0) } ?? "NULL"
    }

    /// Horizontal bars, one per row, scaled to the largest magnitude (negative values drawn left of the axis).
    static func bars(_ result: QueryResult, key: Int, measure: Int) -> String {
        let rowHeight = 26.0
        let (labelWidth, barWidth) = (180.0, 420.0)
        let values = result.rows.map { self.number($0[measure]) }
        let largest = max(values.compactMap { $0.map(abs) }.max() ?? 0, 1e-12)
        let hasNegative = values.contains { ($0 ?? 0) < 0 }
        let zero = labelWidth + (hasNegative ? barWidth / 2 : 0)
        let scale = (hasNegative ? barWidth / 2 : barWidth) / largest
        let height = Double(result.rows.count) * rowHeight + 10
        var svg =
            ##"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="\##(Int(labelWidth + barWidth + 120))" height="\##(Int(height))" viewBox="0 0 \##(Int(labelWidth + barWidth + 120)) \##(Int(height))" font-family="sans-serif" font-size="13">"##
        svg += "<title>\(self.escape(result.columns[measure])) by \(self.escape(result.columns[key]))</title>"
        for (index, row) in result.rows.enumerated() {
            let y = Double(index) * rowHeight + 5
            svg +=
                ##"<text x="\##(Int(labelWidth - 8))" y="\##(Int(y + 17))" text-anchor="end">\##(self.escape(self.keyLabel(row[key])))</text>"##
            if let value = values[index] {
                let width = abs(value) * scale
                let x = value < 0 ? zero - width : zero
                svg +=
                    ##"<rect x="\##(self.format(x))" y="\##(Int(y + 3))" width="\##(self.format(max(width, 1)))" height="\##(Int(rowHeight - 8))" fill="#3b6ea8"><title>\##(self.escape(self.label(row[measure])))</title></rect>"##
                svg +=
                    ##"<text x="\##(self.format(max(x + width, zero) + 6))" y="\##(Int(y + 17))">\##(self.escape(self.label(row[measure])))</text>"##
            } else {
                svg +=
                    ##"<text x="\##(Int(zero + 6))" y="\##(Int(y + 17))" fill="#8a4b00" font-style="italic">suppressed</text>"##
            }
        }
        svg += ##"<line x1="\##(Int(zero))" y1="0" x2="\##(Int(zero))" y2="\##(Int(height))" stroke="#555"/></svg>"##
        return svg
    }

    /// A crosstab of `measure` over two keys: a cell per combination, darker for larger values, each with its value.
    static func heatMap(_ result: QueryResult, rows: Int, columns: Int, measure: Int) -> String {
        var rowLabels: [String] = []
        var columnLabels: [String] = []
        var cells: [String: ResultValue?] = [:]
        for row in result.rows {
            let (r, c) = (self.keyLabel(row[rows]), self.keyLabel(row[columns]))
            if !rowLabels.contains(r) { rowLabels.append(r) }
            if !columnLabels.contains(c) { columnLabels.append(c) }
            cells["\(r)\u{0}\(c)"] = row[measure]
        }
        let values = cells.values.compactMap { self.number($0) }
        let (low, high) = (values.min() ?? 0, values.max() ?? 1)
        let (cellWidth, cellHeight, left, top) = (90.0, 30.0, 160.0, 30.0)
        let width = left + cellWidth * Double(columnLabels.count) + 10
        let height = top + cellHeight * Double(rowLabels.count) + 10
        var svg =
            ##"<svg xmlns="http://www.w3.org/2000/svg" role="img" width="\##(Int(width))" height="\##(Int(height))" viewBox="0 0 \##(Int(width)) \##(Int(height))" font-family="sans-serif" font-size="12">"##
        svg += "<title>\(self.escape(result.columns[measure]))</title>"
        for (index, label) in columnLabels.enumerated() {
            svg +=
                ##"<text x="\##(self.format(left + cellWidth * (Double(index) + 0.5)))" y="20" text-anchor="middle">\##(self.escape(label))</text>"##
        }
        for (r, rowLabel) in rowLabels.enumerated() {
            let y = top + cellHeight * Double(r)
            svg +=
                ##"<text x="\##(Int(left - 8))" y="\##(self.format(y + 20))" text-anchor="end">\##(self.escape(rowLabel))</text>"##
            for (c, columnLabel) in columnLabels.enumerated() {
                let x = left + cellWidth * Double(c)
                let value = cells["\(rowLabel)\u{0}\(columnLabel)"] ?? nil
                let text = cells["\(rowLabel)\u{0}\(columnLabel)"] == nil ? "" : self.label(value)
                let fill: String
                if let number = self.number(value) {
                    let t = high > low ? (number - low) / (high - low) : 1
                    // From a pale to a dark blue.
                    let (red, green, blue) = (Int(230 - 180 * t), Int(238 - 150 * t), Int(250 - 90 * t))
                    fill = "rgb(\(red),\(green),\(blue))"
                } else {
                    fill = "#eeeeee"
                }
                svg +=
                    ##"<rect x="\##(self.format(x))" y="\##(self.format(y))" width="\##(Int(cellWidth - 2))" height="\##(Int(cellHeight - 2))" fill="\##(fill)"/>"##
                let ink =
                    (self.number(value).map { high > low ? ($0 - low) / (high - low) : 1 } ?? 0) > 0.55
                    ? "#fff" : "#111"
                svg +=
                    ##"<text x="\##(self.format(x + cellWidth / 2))" y="\##(self.format(y + 19))" text-anchor="middle" fill="\##(ink)">\##(self.escape(text))</text>"##
            }
        }
        return svg + "</svg>"
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
