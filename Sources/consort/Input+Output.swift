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
                for the task's engine. Each party answers with a receipt signed by its node; the receipts are checked
                and kept in the journal (by default next to the identity: DIR/NAME.uploads/TASK/TABLE/).

                The rows go in batches of at most --batch-rows, the last one marked final: a node starts computing
                once every input party's final batch is in. Each batch is written to the journal before it is sent,
                and the next one is shared only once every party holds it. If a party does not take a batch, run the
                same command again: the same shares go, under the same batch ids, to the parties still missing them,
                so no node ever holds a row twice. Exit status 0 only when every computing party holds every batch.

                Example:
                  consort input upload --task 3f2a… --table households --csv north.csv \\
                    --identity north/uploader
                    --directory directory.json --root op/operator.pem
                """
        )

        @Option(help: "The task id.") var task: String
        @Option(help: "The input table.") var table: String
        @Option(help: "The CSV file (header = the table's columns).") var csv: String
        @Option(help: "The upload journal (default: the identity's DIR/NAME.uploads).") var journal: String?
        @Option(
            help:
                "Rows per batch: the rows go in batches of at most this many, the last marked final (a batch's shares are held in memory while it is sent)."
        )
        var batchRows: Int = MemberClient.defaultBatchRows
        @Option(help: "Show a progress bar on standard error: auto (when it is a terminal), always or never.")
        var progress: ProgressBar.Mode = .auto
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let upload: MemberClient.Upload
            do {
                upload = try await client.client().upload(
                    csv: csv, task: task, table: table, journal: try journal ?? "\(client.identityPath()).uploads",
                    batchRows: batchRows, progress: ProgressBar(mode: progress, label: "uploading \(table)"))
            } catch let error as ClientError where error.code == .invalidInput {
                throw CommandFailure(error.message)
            }
            let complete = Self.print(upload, table: table) { Swift.print($0) }
            if !complete { throw ExitCode(1) }
        }

        /// A line per computing party, then where the upload stands; true when every party holds every batch.
        static func print(_ upload: MemberClient.Upload, table: String, to report: (String) -> Void) -> Bool {
            for line in upload.partyLines { report("  \(line)") }
            report(upload.summary(table: table))
            if !upload.complete, upload.journal != nil {
                report("run the same command again to send the parties the batches they are missing")
            }
            return upload.complete
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
                  consort output fetch --task 3f2a… --identity eurostat/analyst \\
                    --directory directory.json --root op/operator.pem
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
