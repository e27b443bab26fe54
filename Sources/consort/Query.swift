import ArgumentParser
import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTransport
import Foundation

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check and run a CTS's consort-sql/1 query on local data (plaintext or MPC in this process).",
        subcommands: [Check.self, Run.self]
    )

    /// The CTS of a file (plain or signed) and its admitted query; errors say what to fix.
    static func admit(_ file: String) async throws -> (ComputationTaskSpecification, QueryAdmission.Admitted) {
        let document = try SpecificationDocument.read(file)
        let (cts, diagnostics) = try document.specification(engines: EngineRegistry.shared)
        guard let cts else {
            throw ValidationError(
                "'\(file)' is not a readable CTS:\n" + diagnostics.map { "  \($0)" }.joined(separator: "\n"))
        }
        do {
            return (cts, try await QueryAdmission.admit(cts))
        } catch let error as QueryError {
            throw ValidationError("the query of '\(file)' is rejected: \(error)")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Type-check a CTS's query: output columns, what it reveals, and the MPC cost.",
            discussion: """
                Example:
                  consort query check --cts Specs/examples/household-income.json
                """
        )

        @Option(help: "The CTS file (plain or signed).")
        var cts: String

        func run() async throws {
            let (specification, admitted) = try await Query.admit(cts)
            let plan = admitted.plan
            print("query: \(specification.query)")
            print("\noutput columns")
            for output in plan.outputs { print("  \(output.name)  \(output.type)") }
            print("\nbesides the outputs, the computation reveals")
            for note in plan.leakage { print("  - \(note)") }
            print("\nMPC cost at maxRows (\(plan.table.maxRows) rows), from the engines' cost models")
            for line in await admitted.costLines(parties: specification.engine.parties) {
                print("  " + line)
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a CTS's query on CSV files, in plaintext or under MPC with three in-process parties.",
            discussion: """
                Each --input names a table of the CTS and a CSV file whose header lists the table's columns; several
                files for one table are the rows of several input parties. Every value is checked first: nothing
                runs if a row is invalid.

                Example:
                  consort data synth --cts Specs/examples/household-income.json \\
                    --table households --rows 1000 --out hh.csv
                  consort query run --cts Specs/examples/household-income.json \\
                    --input households=hh.csv --engine mpc --timings
                """
        )

        @Option(help: "The CTS file (plain or signed).")
        var cts: String

        @Option(help: "TABLE=CSV, once per input file.")
        var input: [String] = []

        @Option(help: "plain or mpc.")
        var engine: Engine = .plain

        @Option(help: "table, csv or json (the result format of docs/architecture.md §2).")
        var format: Format = .table

        @Flag(help: "Print how long reading, sharing and computing took (to stderr).")
        var timings = false

        @Option(
            help:
                "With --engine mpc, a query over one table with only COUNT, SUM, AVG, VAR and STDDEV reads this many rows at a time, as a node does (0: whole columns)."
        )
        var chunkRows = defaultChunkRows

        enum Engine: String, ExpressibleByArgument { case plain, mpc }
        enum Format: String, ExpressibleByArgument { case table, csv, json }

        func validate() throws {
            guard chunkRows >= 0 else { throw ValidationError("--chunk-rows must be 0 (whole columns) or more") }
        }

        func run() async throws {
            let (specification, admitted) = try await Query.admit(cts)
            let plan = admitted.plan
            let start = ContinuousClock.now
            var parts = [[TableData]](repeating: [], count: plan.inputs.count)
            let names = plan.inputs.map(\.table.name)
            for item in input {
                guard let equals = item.firstIndex(of: "=") else {
                    throw ValidationError("--input must be TABLE=CSV, not '\(item)'")
                }
                let (table, path) = (String(item[..<equals]), String(item[item.index(after: equals)...]))
                guard let index = names.firstIndex(of: table) else {
                    throw ValidationError(
                        "--input \(item): the query reads table \(names.map { "'\($0)'" }.joined(separator: " and ")), not '\(table)'"
                    )
                }
                // A bad file is no bad usage: the error names the file, line and column, without the usage text.
                do { parts[index].append(try CSVTable.read(path, table: plan.inputs[index].table)) } catch let error
                    as QueryError
                {
                    throw CommandFailure("\(error)")
                }
            }
            var inputs: [TableData] = []
            for (index, input) in plan.inputs.enumerated() {
                let name = input.table.name
                guard !parts[index].isEmpty else {
                    throw ValidationError("give the rows of table '\(name)' with --input \(name)=FILE.csv")
                }
                let data = TableData.union(parts[index])
                guard data.rows <= input.table.maxRows else {
                    throw CommandFailure(
                        "the inputs have \(data.rows) rows of '\(name)' together; the table allows at most \(input.table.maxRows)"
                    )
                }
                inputs.append(data)
            }
            let rows = inputs.map(\.rows).reduce(0, +)
            let read = ContinuousClock.now
            let result: QueryResult
            do {
                switch engine {
                case .plain:
                    result = try PlainEngine.run(plan, on: inputs)
                    if timings {
                        Self.report(
                            "read \(rows) rows: \(read - start); computed in plaintext: \(ContinuousClock.now - read)"
                        )
                    }
                case .mpc:
                    let (mpcResult, figures) = try await MPCQueryEngine.run(
                        plan, on: inputs, engine: specification.engine, chunkRows: chunkRows > 0 ? chunkRows : nil)
                    result = mpcResult
                    if timings {
                        Self.report(
                            "read \(rows) rows: \(read - start); shared: \(figures.sharing); computed under MPC: \(figures.computing) "
                                + "(\(figures.rounds) rounds, \(figures.bytesPerParty) bytes sent per party)")
                    }
                }
            } catch let error as QueryError {
                throw CommandFailure("\(error)")
            }
            switch format {
            case .table: print(result.table())
            case .csv: print(result.csv(), terminator: "")
            case .json: print(result.json())
            }
        }

        static func report(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Synthetic input data for dry runs and benchmarks.",
        subcommands: [Synth.self]
    )

    struct Synth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write synthetic rows that satisfy a CTS table's data model to a CSV file.",
            discussion: """
                Example:
                  consort data synth --cts Specs/examples/household-income.json \\
                    --table households --rows 100000 --out hh.csv --seed 7
                """
        )

        @Option(help: "The CTS file (plain or signed).") var cts: String
        @Option(help: "The table to synthesise.") var table: String
        @Option(help: "Number of rows.") var rows: Int
        @Option(help: "The CSV file to write.") var out: String
        @Option(help: "Seed (same seed, same rows).") var seed: UInt64 = 1

        func run() async throws {
            let document = try SpecificationDocument.read(cts)
            guard let specification = try document.specification().0 else {
                throw ValidationError("'\(cts)' is not a readable CTS")
            }
            guard let model = specification.table(named: table) else {
                throw ValidationError(
                    "the CTS has no table '\(table)' (tables: \(specification.tables.map(\.name).joined(separator: ", ")))"
                )
            }
            let text: String
            do { text = try DataSynth.csv(table: model, rows: rows, seed: seed) } catch let error as QueryError {
                throw ValidationError("\(error)")
            }
            try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            print("wrote \(rows) rows of '\(table)' to \(out)")
        }
    }
}
