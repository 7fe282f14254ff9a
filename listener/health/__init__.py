"""What operators watch: per-source status, the /healthz and /metrics endpoint."""
