"""Switchboard database-recorder plugin."""
