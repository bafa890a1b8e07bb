"""The opentelemetry plugin's hook implementations (being built for #7)."""
