import ArgumentParser
import ConsortMPC
import ConsortNode
import ConsortQuery
import ConsortSpec
import Foundation

extension ClientOptions {
    /// The task's signed CTS from one of its computing parties, checked against the task id (its SHA-256).
    func specification(_ task: String, client: NodeClient, directory: MemberDirectory) async throws -> ComputationTaskSpecification {
        var problems: [String] = []
        for member in directory.members {
            guard let endpoint = member.endpoint else { continue }
            do {
                let response = try await client.request(.get, "/v1/tasks/\(task)/document", to: endpoint, node: member.id)
                guard response.status == 200 else { problems.append("\(member.id): \(response.status) \(response.body)"); continue }
                let document = try SpecificationDocument(bytes: Array(response.body.utf8))
                guard document.taskID == task, let cts = try document.specification().0 else {
                    problems.append("\(member.id): the document does not match task \(task)")
                    continue
                }
                return cts
            } catch {
                problems.append("\(member.id): \(error)")
            }
        }
        throw CommandFailure("no node returned task \(task): " + problems.joined(separator: "; "))
    }
}

struct InputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "input", abstract: "Provide a task's input data.", subcommands: [Upload.self])

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a CSV against the CTS, secret-share it here, and upload one share pair to each computing party.",
            discussion: """
                Nothing leaves this machine in the clear: each computing party receives only its pair of the three
                additive shares of every value. Each party answers with a receipt signed by its node.

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
            let (nodeClient, directory) = try client.load()
            let cts = try await client.specification(task, client: nodeClient, directory: directory)
            guard let model = cts.table(named: table) else { throw ValidationError("task \(cts.id) has no table '\(table)'") }
            let data: TableData
            do { data = try CSVTable.read(csv, table: model) } catch let error as QueryError { throw ValidationError("\(error)") }
            let failures = try await Self.upload(data, task: task, table: table, cts: cts, client: nodeClient, directory: directory,
                                                 progress: ProgressBar(mode: progress, label: "uploading \(table)")) { print($0) }
            if failures > 0 { throw ExitCode(1) }
        }

        /// Shares `data` here and sends each computing party its pair, to all three at once; reports one line per
        /// party (in the CTS's order); returns the number of parties that did not accept.
        static func upload(_ data: TableData, task: String, table: String, cts: ComputationTaskSpecification, client: NodeClient,
                           directory: MemberDirectory, progress: ProgressBar? = nil, report: (String) -> Void) async throws -> Int {
            guard let model = cts.table(named: table) else { throw CommandFailure("task \(cts.id) has no table '\(table)'") }
            let batch = UUID().uuidString.lowercased()
            let bodies = try TaskShares(task: task, cts: cts).deal(data, table: model)
            progress?.start(total: bodies.reduce(0) { $0 + $1.count }, parts: cts.parties.computing.count)
            let lines = await withTaskGroup(of: (Int, String, Bool).self) { group in
                for (party, member) in cts.parties.computing.enumerated() {
                    let body = bodies[party]
                    group.addTask {
                        guard let endpoint = directory.member(member)?.endpoint else { return (party, "  \(member): no endpoint in the directory", false) }
                        do {
                            let response = try await client.request(.post, "/v1/tasks/\(task)/inputs/\(table)?batch=\(batch)", body: body,
                                                                    to: endpoint, node: member, timeout: .seconds(300)) { progress?.update(part: party, sent: $0) }
                            return (party, "  \(member): \(response.status) \(response.body)", response.status == 201)
                        } catch {
                            return (party, "  \(member): \(error)", false)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }
            }
            progress?.finish()
            for (_, line, _) in lines { report(line) }
            report("uploaded \(data.rows) rows of '\(table)' as batch \(batch)")
            return lines.filter { !$0.2 }.count
        }
    }
}

struct OutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "output", abstract: "Receive a task's result.", subcommands: [Fetch.self])

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Collect the result shares from every computing party, check they agree, and reconstruct the result.",
            discussion: """
                Example:
                  consort output fetch --task 3f2a… --identity eurostat/analyst --directory directory.json --root op/operator.pem
                """
        )

        @Option(help: "The task id.") var task: String
        @Option(help: "table, csv or json.") var format: Query.Run.Format = .table
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let (nodeClient, directory) = try client.load()
            let cts = try await client.specification(task, client: nodeClient, directory: directory)
            let result = try await Self.fetch(task: task, cts: cts, client: nodeClient, directory: directory)
            switch format {
            case .table: print(result.table())
            case .csv: print(result.csv(), terminator: "")
            case .json: print(result.json())
            }
        }
    }
}

extension OutputCommand.Fetch {
    /// Every computing party's result shares, checked and reconstructed.
    static func fetch(task: String, cts: ComputationTaskSpecification, client: NodeClient, directory: MemberDirectory) async throws -> QueryResult {
        let plan = try QueryChecker.check(cts)
        var bodies: [[UInt8]] = []
        for member in cts.parties.computing {
            guard let endpoint = directory.member(member)?.endpoint else { throw CommandFailure("no endpoint for \(member)") }
            let response = try await client.request(.get, "/v1/tasks/\(task)/output", to: endpoint, node: member, timeout: .seconds(120))
            guard response.status == 200 else { throw CommandFailure("\(member) refused the output: \(response.status) \(response.body)") }
            bodies.append(Array(response.body.utf8))
        }
        do { return try TaskShares(task: task, cts: cts).reconstruct(bodies, plan: plan) } catch {
            throw CommandFailure("the result shares cannot be reconstructed: \(error)")
        }
    }
}
