"""Validate what the gateway answers against OpenAI's published API document.

``data/openai-openapi.json`` is OpenAI's OpenAPI 3.1 document (MIT, see
``data/openai-openapi.LICENSE``). It still marks some optional-null fields with the 3.0
keyword ``nullable``, which JSON Schema ignores; they are rewritten to allow ``null`` so
that a valid ``"finish_reason": null`` is not refused.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

__all__ = ["schema_errors", "validate"]

_DOCUMENT_URI = "urn:openai-openapi"


def _allow_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_allow_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _allow_null(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def _registry() -> Registry[Any]:
    raw = resources.files("switchboard.testing").joinpath("data/openai-openapi.json").read_text()
    document = _allow_null(json.loads(raw))
    # Opaque: the document is OpenAPI, not a JSON Schema; only its components are schemas.
    resource: Resource[Any] = Resource.opaque(document)
    registry: Registry[Any] = Registry().with_resource(_DOCUMENT_URI, resource)
    return registry


@cache
def _validator(component: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"{_DOCUMENT_URI}#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def schema_errors(component: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks ``#/components/schemas/<component>``, readably."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in _validator(component).iter_errors(instance)
    ]


def validate(component: str, instance: Any) -> None:
    """Raise ``AssertionError`` listing what breaks the component's schema."""
    errors = schema_errors(component, instance)
    assert not errors, f"not a valid OpenAI {component}:\n" + "\n".join(errors[:20])
