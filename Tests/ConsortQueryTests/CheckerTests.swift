import ConsortQuery
import ConsortSpec
import Testing

@Suite("consort-sql/1 parser and type checker")
struct CheckerTests {
    func rejection(_ query: String, maxRows: Int = 5_000) throws -> QueryError? {
        do {
            _ = try QueryChecker.check(try QueryFixture.specification(query: query, maxRows: maxRows))
            return nil
        } catch let error as QueryError {
            return error
        }
    }

    @Test("syntax errors point at line and column and say what was expected")
    func syntax() throws {
        let missingFrom = try #require(try rejection("SELECT COUNT(*) AS n\n  people"))
        #expect(missingFrom.code == .syntax)
        #expect(missingFrom.line == 2 && missingFrom.column == 3, "\(missingFrom)")
        #expect(missingFrom.message.contains("expected FROM"), "\(missingFrom)")
        let unclosed = try #require(try rejection("SELECT SUM(age FROM people"))
        #expect(unclosed.code == .syntax && unclosed.message.contains("')'"), "\(unclosed)")
        let division = try #require(try rejection("SELECT SUM(age / 2) AS s FROM people"))
        #expect(division.code == .unsupported && division.column == 16, "\(division)")
    }

    @Test("names, types and category values are checked against the CTS")
    func names() throws {
        let column = try #require(try rejection("SELECT SUM(salary) AS s FROM people"))
        #expect(column.code == .unknownName && column.message.contains("salary") && column.column == 12, "\(column)")
        let table = try #require(try rejection("SELECT COUNT(*) AS n FROM persons"))
        #expect(table.code == .unknownName && table.message.contains("persons"), "\(table)")
        let value = try #require(try rejection("SELECT COUNT(*) AS n FROM people WHERE region = 'nowhere'"))
        #expect(value.code == .unknownName && value.message.contains("nowhere"), "\(value)")
        let sumOfCategory = try #require(try rejection("SELECT SUM(region) AS s FROM people"))
        #expect(sumOfCategory.code == .type, "\(sumOfCategory)")
        let numberWhere = try #require(try rejection("SELECT COUNT(*) AS n FROM people WHERE age"))
        #expect(numberWhere.code == .type && numberWhere.message.contains("WHERE"), "\(numberWhere)")
        let groupByNumber = try #require(try rejection("SELECT age, COUNT(*) AS n FROM people GROUP BY age"))
        #expect(groupByNumber.code == .type && groupByNumber.message.contains("public domain"), "\(groupByNumber)")
        let unknown = try #require(try rejection("SELECT GEOMEAN(age) AS g FROM people"))
        #expect(unknown.code == .unknownName && unknown.message.contains("GEOMEAN"), "\(unknown)")
        let oneArgument = try #require(try rejection("SELECT CORR(age) AS c FROM people"))
        #expect(oneArgument.code == .type && oneArgument.message.contains("two arguments"), "\(oneArgument)")
    }

    @Test("range analysis rejects expressions and aggregates that could overflow the ring, and names them")
    func overflow() throws {
        // In cents, income · income · age · hours reaches 10^10 · 100 · 80 = 8·10^13 per row (fits); summed over
        // 10^6 rows it could reach 8·10^19 > 2^61.
        let sumOfProducts = try #require(
            try rejection("SELECT SUM(income * income * age * hours) AS s FROM people", maxRows: 1_000_000))
        #expect(sumOfProducts.code == .overflow && sumOfProducts.message.contains("SUM"), "\(sumOfProducts)")
        let product = try #require(try rejection("SELECT SUM(income * income * income * income) AS s FROM people"))
        #expect(product.code == .overflow, "\(product)")
        let intercept = try #require(
            try rejection("SELECT REGR_INTERCEPT(income, score) AS a FROM people", maxRows: 1_000_000))
        #expect(intercept.code == .overflow && intercept.message.contains("REGR_INTERCEPT"), "\(intercept)")
        let variance = try #require(try rejection("SELECT STDDEV(income) AS s FROM people", maxRows: 1_000_000))
        #expect(variance.code == .overflow && variance.message.contains("STDDEV"), "\(variance)")
        // The same aggregates over a table with fewer rows fit.
        #expect(try rejection("SELECT SUM(income * age) AS s, STDDEV(income) AS d FROM people") == nil)
    }
}

@Suite("CSV input")
struct CSVTests {
    let table = try! QueryFixture.specification(query: "SELECT COUNT(*) AS n FROM people").tables[0]
    let header = "region,sex,employed,age,hours,income,score"

    func error(_ text: String) -> QueryError? {
        do {
            _ = try CSVTable.parse(text, table: self.table, source: "in.csv")
            return nil
        } catch let error as QueryError {
            return error
        } catch {
            return nil
        }
    }

    @Test("valid rows: quoted commas, doubled quotes, CRLF and LF line ends, no final newline")
    func valid() throws {
        let text = "\(header)\r\n\"north\",f,true,30,40,\"1,0\",1.5\r\nsouth,m,false,0,0,0,-50\n"
        // "1,0" is one field (quoted comma) but not a decimal: the value check rejects it, naming the column.
        let bad = try #require(error(text))
        #expect(bad.message.contains("in.csv:2: column 'income'"), "\(bad)")
        let good = try CSVTable.parse(
            "\(header)\r\n\"north\",f,true,30,40,\"1000.00\",1.5\r\nsouth,m,false,0,0,0,-50", table: self.table)
        #expect(good.rows == 2)
        #expect(good.columns[0] == [0, 2] && good.columns[5] == [100_000, 0] && good.columns[6] == [15, -500])
    }

    @Test("every kind of bad input is refused with file, line and column")
    func invalid() throws {
        #expect(
            error("region,sex,employed,age,hours,income\nnorth,f,true,1,1,1")?.message.contains("missing score") == true
        )
        #expect(error("\(header),extra\nnorth,f,true,1,1,1,1,1")?.message.contains("unknown extra") == true)
        #expect(error("\(header)\nnorth,f,true,1,1,1,1,1")?.message.contains("in.csv:2: 8 fields") == true)
        #expect(
            error("\(header)\nnorth,f,true,abc,1,1,1")?.message.contains(
                "in.csv:2: column 'age': 'abc' is not an integer") == true)
        #expect(error("\(header)\nnorth,f,true,101,1,1,1")?.message.contains("outside 0...100") == true)
        #expect(error("\(header)\nnorth,f,true,1,1,1000.01,1")?.message.contains("column 'income'") == true)
        #expect(error("\(header)\nnorth,f,true,1,1,1.001,1")?.message.contains("at most 2 digits") == true)
        #expect(error("\(header)\nnorth,x,true,1,1,1,1")?.message.contains("'x' is not one of f, m") == true)
        #expect(error("\(header)\nnorth,f,maybe,1,1,1,1")?.message.contains("not true or false") == true)
        #expect(error("\(header)\n\"north,f,true,1,1,1,1")?.message.contains("not closed") == true)
        #expect(error("")?.message.contains("empty file") == true)
    }
}
