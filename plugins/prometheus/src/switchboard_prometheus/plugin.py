"""The prometheus plugin's hook implementations (being built for #7)."""
