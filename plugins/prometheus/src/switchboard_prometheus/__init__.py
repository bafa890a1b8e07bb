"""Switchboard prometheus plugin."""
