"""docmill.orchestration."""
