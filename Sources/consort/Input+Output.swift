import ArgumentParser
import ConsortClient
import ConsortQuery
import ConsortSpec
import Foundation

struct InputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "input", abstract: "Provide a task's input data.", subcommands: [Upload.self])

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate a CSV against the CTS, secret-share it here, and upload one share to each computing party.",
            discussion: """
                Nothing leaves this machine in the clear: each computing party receives only its share of every value,
                for the task's engine. Each party answers with a receipt signed by its node; the receipts are checked.

                Example:
                  consort input upload --task 3f2a… --table households --csv north.csv --identity north/uploader --directory directory.json --root op/operator.pem
                """
        )

        @Option(help: "The task id.") var task: String
        @Option(help: "The input table.") var table: String
        @Option(help: "The CSV file (header = the table's columns).") var csv: String
        @Option(help: "Show a progress bar on standard error: auto (when it is a terminal), always or never.")
        var progress: ProgressBar.Mode = .auto
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let upload: MemberClient.Upload
            do {
                upload = try await client.client().upload(
                    csv: csv, task: task, table: table,
                    progress: ProgressBar(mode: progress, label: "uploading \(table)"))
            } catch let error as ClientError where error.code == .invalidInput {
                throw ValidationError(error.message)
            }
            Self.print(upload, table: table) { Swift.print($0) }
            if upload.failures > 0 { throw ExitCode(1) }
        }

        /// A line per computing party, then a summary.
        static func print(_ upload: MemberClient.Upload, table: String, to report: (String) -> Void) {
            for answer in upload.answers {
                report(answer.error?.code == .invalidResponse ? "  \(answer.member): \(answer.error!)" : answer.line)
            }
            report("uploaded \(upload.rows) rows of '\(table)' as batch \(upload.batch)")
        }
    }
}

struct OutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output", abstract: "Receive a task's result.", subcommands: [Fetch.self])

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Collect the result shares from every computing party, check they fit together, and reconstruct the result.",
            discussion: """
                Example:
                  consort output fetch --task 3f2a… --identity eurostat/analyst --directory directory.json --root op/operator.pem
                """
        )

        @Option(help: "The task id.") var task: String
        @Option(help: "table, csv or json.") var format: Query.Run.Format = .table
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let result = try await client.client().result(task: task)
            switch format {
            case .table: print(result.table())
            case .csv: print(result.csv(), terminator: "")
            case .json: print(result.json())
            }
        }
    }
}
