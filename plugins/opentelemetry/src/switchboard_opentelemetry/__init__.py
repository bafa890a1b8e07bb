"""Switchboard opentelemetry plugin."""
