"""The metrics port's two implementations: Prometheus counts, the no-op does not."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from services.adapters.prometheus import MetricsServer, PrometheusMetrics
from services.metrics import NO_METRICS, Metrics


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _exercise(metrics: Metrics) -> None:
    metrics.events_recorded(recorded=3, duplicates=1)
    metrics.event_rejected(reason="invalid_json")
    metrics.event_rejected(reason="invalid_json")
    metrics.event_rejected(reason="schema_violation")
    metrics.dead_letter_failed()
    metrics.batch_committed(seconds=0.03)
    metrics.consumer_lag(topic="kap.session-events.v1", partition=2, messages=7)
    metrics.projector_lag(projection="sessions", positions=4, seconds=1.5)
    metrics.http_request(method="GET", route="/v1/sessions/{session_id}", status=200, seconds=0.01)
    metrics.verification(intact=False, events=10, problems=2, at=1_700_000_000.0)


def test_the_prometheus_adapter_counts_every_figure() -> None:
    metrics = PrometheusMetrics()
    _exercise(metrics)
    body, content_type = metrics.exposition()
    samples = _samples(body.decode())
    assert content_type.startswith("text/plain")
    assert samples[("kapaudit_events_recorded_total", ())] == 3
    assert samples[("kapaudit_events_duplicate_total", ())] == 1
    assert samples[("kapaudit_events_rejected_total", (("reason", "invalid_json"),))] == 2
    assert samples[("kapaudit_events_rejected_total", (("reason", "schema_violation"),))] == 1
    assert samples[("kapaudit_dead_letters_failed_total", ())] == 1
    assert samples[("kapaudit_recorder_batch_commit_seconds_count", ())] == 1
    assert samples[("kapaudit_recorder_batch_commit_seconds_bucket", (("le", "0.05"),))] == 1
    lag = (("partition", "2"), ("topic", "kap.session-events.v1"))
    assert samples[("kapaudit_recorder_consumer_lag", lag)] == 7
    assert samples[("kapaudit_projector_lag_positions", (("projection", "sessions"),))] == 4
    assert samples[("kapaudit_projector_lag_seconds", (("projection", "sessions"),))] == 1.5
    route = (("method", "GET"), ("route", "/v1/sessions/{session_id}"), ("status", "200"))
    assert samples[("kapaudit_http_requests_total", route)] == 1
    assert samples[("kapaudit_verifications_total", (("result", "broken"),))] == 1
    assert samples[("kapaudit_verification_intact", ())] == 0
    assert samples[("kapaudit_verification_problems", ())] == 2


def test_each_adapter_has_its_own_registry() -> None:
    first, second = PrometheusMetrics(), PrometheusMetrics()
    first.events_recorded(recorded=5, duplicates=0)
    assert _samples(second.exposition()[0].decode())[("kapaudit_events_recorded_total", ())] == 0


def test_the_no_op_metrics_take_every_call_and_expose_nothing() -> None:
    _exercise(NO_METRICS)
    assert NO_METRICS.exposition()[0] == b""


def test_verification_results_go_to_a_textfile(tmp_path: Path) -> None:
    metrics = PrometheusMetrics()
    metrics.verification(intact=True, events=42, problems=0, at=1_700_000_000.0)
    path = tmp_path / "kapaudit_verify.prom"
    metrics.write_textfile(path)
    samples = _samples(path.read_text())
    assert samples[("kapaudit_verification_intact", ())] == 1
    assert samples[("kapaudit_verification_events", ())] == 42


def test_the_metrics_server_answers_on_a_free_port() -> None:
    metrics = PrometheusMetrics()
    metrics.event_rejected(reason="invalid_json")
    server = MetricsServer(metrics=metrics, host="127.0.0.1", port=0)
    server.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as r:
            text = r.read().decode()
    finally:
        server.stop()
    assert 'kapaudit_events_rejected_total{reason="invalid_json"} 1.0' in text
