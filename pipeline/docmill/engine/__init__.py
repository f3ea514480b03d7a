"""docmill.engine."""
