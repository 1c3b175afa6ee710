"""Operations: liveness and readiness probes, Prometheus metrics. Reads every domain, nothing imports it."""
