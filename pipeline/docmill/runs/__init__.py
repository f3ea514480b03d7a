"""docmill.runs."""
