"""HTTP plumbing shared by every route: request ids, error bodies, health endpoints."""
