"""The database-recorder plugin's hook implementations (being built for #7)."""
