"""kapaudit services: the recorder, verification, the CLI and the adapters they use."""
