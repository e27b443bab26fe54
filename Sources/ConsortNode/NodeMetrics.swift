import ConsortSpec
import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization

/// The node's Prometheus metrics (`GET /v1/metrics`): HTTP requests (Hummingbird's middleware), task states, inputs,
/// outputs, computations and refusals; values are counts and durations only, never task data. The executable
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

    /// The text exposition format, with the task gauges refreshed from `store`.
    package func exposition(tasks: any TaskStore) async throws -> String {
        var counts = Dictionary(uniqueKeysWithValues: TaskLifecycle.State.allCases.map { ($0, 0) })
        counts.merge(try await tasks.stateCounts()) { $1 }
        for (state, count) in counts {
            Gauge(label: "consort_tasks", dimensions: [("state", state.rawValue)]).record(count)
        }
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
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
