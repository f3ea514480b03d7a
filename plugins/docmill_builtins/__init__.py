"""docmill's built-in plugins: one module per capability, registered like any plugin."""
