"""pytest plugin: runbooks as test items (filled in by the executor issue)."""
