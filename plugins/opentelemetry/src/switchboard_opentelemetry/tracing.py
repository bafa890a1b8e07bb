"""The plugin's own tracer provider, configured by the standard ``OTEL_*`` environment.

The plugin never touches OpenTelemetry's global tracer provider: an application that embeds
the gateway, or other instrumentation in the process, keeps its own; and tests hand the
plugin an in-memory processor.

By default spans are batched (``BatchSpanProcessor``, ``OTEL_BSP_*``) and sent over
OTLP/HTTP (protobuf) to ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else
``OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/traces``, else ``http://localhost:4318/v1/traces``
(a collector on the same host, OpenTelemetry's default), with ``OTEL_EXPORTER_OTLP_HEADERS``
/ ``..._TRACES_HEADERS``, ``..._TIMEOUT``, ``..._COMPRESSION`` and the TLS variables. The
sampler is ``OTEL_TRACES_SAMPLER`` (default ``parentbased_always_on``); ``OTEL_SDK_DISABLED``
turns span making off. ``service.name`` is ``OTEL_SERVICE_NAME`` (or ``service.name`` in
``OTEL_RESOURCE_ATTRIBUTES``), ``switchboard`` when neither is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer

from switchboard_opentelemetry.ids import RecordTraceIds

__all__ = ["DEFAULT_SERVICE_NAME", "Tracing", "make_tracing", "resource"]

DEFAULT_SERVICE_NAME = "switchboard"
_SCOPE = "switchboard_opentelemetry"


@dataclass(frozen=True)
class Tracing:
    """A provider, its tracer, and the id generator that gives roots the records' ids."""

    provider: TracerProvider
    tracer: Tracer
    ids: RecordTraceIds


def _version(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return None


def resource() -> Resource:
    """``service.name`` ``switchboard`` (and the gateway's version), unless ``OTEL_*`` say."""
    defaults: dict[str, str] = {"service.name": DEFAULT_SERVICE_NAME}
    gateway_version = _version("switchboard-core")
    if gateway_version is not None:
        defaults["service.version"] = gateway_version
    # Resource.create() lets its own argument win over the environment: merge the
    # environment's detection last so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
    return Resource.create(defaults).merge(OTELResourceDetector().detect())


def make_tracing(processor: SpanProcessor | None = None) -> Tracing:
    """A tracer provider exporting through ``processor`` (default: batched OTLP/HTTP)."""
    ids = RecordTraceIds()
    # No atexit hook: the gateway shuts the provider down (flushing it) when it stops, and
    # an atexit export to an unreachable collector would hold up the process's exit.
    provider = TracerProvider(resource=resource(), id_generator=ids, shutdown_on_exit=False)
    provider.add_span_processor(processor or BatchSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer(_SCOPE, _version("switchboard-opentelemetry"))
    return Tracing(provider=provider, tracer=tracer, ids=ids)
