"""Project-wide test configuration; the fixtures come from ``switchboard.testing``."""
