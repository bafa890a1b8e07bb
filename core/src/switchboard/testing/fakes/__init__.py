"""Fake provider servers that speak each provider's real wire format, scriptable per test.

Each fake is a real HTTP server on a free port (aiohttp, in a thread of the test process)
that answers with scripted :class:`Reply` objects and records every request it received.
Provider plugins ship a subclass that knows their paths and builds their native bodies; each
is checked by driving it with the provider's official SDK.
"""

from switchboard.testing.fakes.base import AbandonedReply, FakeServer, RecordedRequest, Reply

__all__ = ["AbandonedReply", "FakeServer", "RecordedRequest", "Reply"]
