"""Switchboard's log recorder: one structured log line per data-plane request."""
