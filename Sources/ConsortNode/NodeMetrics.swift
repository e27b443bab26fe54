import ConsortPKI
import ConsortSpec
import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization
import X509

/// The node's Prometheus metrics (`GET /v1/metrics`): HTTP requests (Hummingbird's middleware), task states, inputs,
/// outputs, computations, refusals, certificate and CRL expiry; values are counts and durations only, never task data. The executable
/// bootstraps the process's metrics system with `bootstrap()` once and hands the node the result.
package struct NodeMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry

    package init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// Makes a Prometheus registry the process's metrics backend (once per process: the executable's job).
    package static func bootstrap() -> NodeMetrics {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return NodeMetrics(registry: registry)
    }

    /// The text exposition format, with the task gauges refreshed from `store` and the expiry gauges from `node`.
    package func exposition(tasks: any TaskStore, node: NodeConfiguration.Loaded) async throws -> String {
        Self.recordExpiries(node)
        var counts = Dictionary(uniqueKeysWithValues: TaskLifecycle.State.allCases.map { ($0, 0) })
        counts.merge(try await tasks.stateCounts()) { $1 }
        for (state, count) in counts {
            Gauge(label: "consort_tasks", dimensions: [("state", state.rawValue)]).record(count)
        }
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// When the node's certificates expire and when each CRL in force is due, as Unix timestamps (alert on
    /// `consort_certificate_expiry_timestamp_seconds - time() < 30 * 86400`): an expired certificate or CRL stops
    /// the node's connections.
    static func recordExpiries(_ node: NodeConfiguration.Loaded) {
        let certificates =
            [("node", node.identity.certificate)]
            + node.identity.chain.dropFirst().map { ("member-ca", $0) } + [("operator-root", node.root)]
        for (name, certificate) in certificates {
            Gauge(label: "consort_certificate_expiry_timestamp_seconds", dimensions: [("certificate", name)]).record(
                certificate.notValidAfter.timeIntervalSince1970)
        }
        for list in node.verifier.revocation.current {
            guard let next = list.nextUpdate else { continue }
            Gauge(label: "consort_crl_next_update_timestamp_seconds", dimensions: [("issuer", list.issuer.description)])
                .record(next.timeIntervalSince1970)
        }
    }

    static func inputReceived(bytes: Int) {
        Counter(label: "consort_inputs_received_total").increment()
        Counter(label: "consort_input_bytes_total").increment(by: bytes)
    }

    static func outputReleased() { Counter(label: "consort_outputs_released_total").increment() }

    static func computation(_ outcome: String, seconds: Double) {
        Counter(label: "consort_computations_total", dimensions: [("outcome", outcome)]).increment()
        Metrics.Timer(label: "consort_computation_duration_seconds", preferredDisplayUnit: .seconds).recordSeconds(
            seconds)
    }

    static func refused(_ code: NodeError.Code) {
        Counter(label: "consort_requests_refused_total", dimensions: [("code", code.description)]).increment()
    }
}
