"""Read models folded from the append-only log (session timelines, compliance verdicts)."""
