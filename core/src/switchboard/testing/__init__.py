"""What plugin authors and the project's own tests need: a real gateway on a free port,
temporary plugin registration, throwaway databases and Redis.

Installed as a pytest plugin (entry point ``pytest11``), so the fixtures are available in
any project that installs ``switchboard-core``.
"""

from switchboard.testing.server import RunningGateway, serve_in_thread

__all__ = ["RunningGateway", "serve_in_thread"]
