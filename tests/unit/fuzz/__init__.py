"""Property-based fuzzing (hypothesis) of the parsers of untrusted input: no exception but the
product's own error family (``orchestrator.errors.OrchestratorError``)."""
