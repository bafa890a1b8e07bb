"""Local accounts: passwords, sessions, personal access tokens, the first admin.

Shipped as the built-in plugin ``accounts`` (entry point in switchboard-core), which
registers the session-cookie and bearer-token authenticators of the control plane.
"""
