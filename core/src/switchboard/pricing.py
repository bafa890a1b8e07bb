"""Model prices and the estimated cost of a request.

A price is USD per million tokens for input, output and cached input. Each provider plugin
ships a :class:`PriceTable` (a JSON file in its package, loaded once with
:func:`load_price_table`) and exposes it as ``Provider.prices``; a connection may override
the price of any model (its ``pricing`` field, checked by :func:`validate_pricing`). The data
plane asks :meth:`PriceTable.price_for` once per connection and model, then
:meth:`ModelPrice.cost` per request::

    table = load_price_table("switchboard_openai")
    price = table.with_overrides({"gpt-4o": ModelPrice(input=2.0, output=8.0)}).price_for(
        "gpt-4o-2024-08-06"
    )
    cost = price.cost(prompt_tokens=1200, completion_tokens=300, cached_tokens=1000)

Costs are estimates: list prices, no batch or negotiated discounts, no taxes, and tokens that
the providers do not report apart (audio, images) are priced as plain input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Annotated, Any

import msgspec

__all__ = [
    "NO_PRICES",
    "LongContextPrice",
    "ModelPrice",
    "PriceTable",
    "PricingError",
    "load_price_table",
    "lookup_price",
    "validate_pricing",
]

PRICE_FILE = "prices.json"
"""The name of a provider plugin's price table inside its package."""

MAX_MODEL_NAME = 200

NonNegative = Annotated[float, msgspec.Meta(ge=0)]

# What may follow a known model name and still be the same model at the same price: dated
# or numbered snapshots and version tags (gpt-4o-2024-08-06, claude-sonnet-4-20250514,
# gemini-2.0-flash-001, gpt-3.5-turbo-0125, anthropic.claude-3-5-haiku-20241022-v1:0,
# claude-3-5-sonnet-latest). Anything else (gpt-4o-mini after gpt-4o, claude-opus-4-1 after
# claude-opus-4) is another model, so it gets no price rather than a neighbour's.
_NAMED_FIELD = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")

_SNAPSHOT = re.compile(r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{3,4}|latest|v\d+(?::\d+)?))+")


class LongContextPrice(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    rename="camel",
    omit_defaults=True,
):
    """Rates for a request whose prompt is longer than ``aboveTokens``: every token of such
    a request (output included) is billed at these rates, as Gemini and Anthropic do."""

    above_tokens: Annotated[int, msgspec.Meta(ge=1)]
    input: NonNegative
    output: NonNegative
    cached_input: NonNegative | None = None
    """Cached input tokens; absent: billed as input."""
    cache_write_input: NonNegative | None = None
    """Input tokens written to a prompt cache; absent: billed as input."""


class ModelPrice(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    rename="camel",
    omit_defaults=True,
):
    """USD per million tokens. ``cachedInput`` absent: cached tokens cost as much as input;
    ``cacheWriteInput`` absent: so do tokens written to a prompt cache. Embedding models have
    ``output: 0``."""

    input: NonNegative
    output: NonNegative
    cached_input: NonNegative | None = None
    cache_write_input: NonNegative | None = None
    long_context: LongContextPrice | None = None

    def cost(
        self,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float:
        """USD for one request. ``cached_tokens`` (read from a prompt cache) and
        ``cache_write_tokens`` (written to one) are part of ``prompt_tokens``, as the
        gateway reports them, and billed at their own rates."""
        rates: ModelPrice | LongContextPrice = self
        if self.long_context is not None and prompt_tokens > self.long_context.above_tokens:
            rates = self.long_context
        # A provider reporting more cache tokens than prompt tokens is not believed.
        prompt = max(prompt_tokens, 0)
        cached = min(max(cached_tokens, 0), prompt)
        written = min(max(cache_write_tokens, 0), prompt - cached)
        cached_rate = rates.input if rates.cached_input is None else rates.cached_input
        write_rate = rates.input if rates.cache_write_input is None else rates.cache_write_input
        return (
            (prompt - cached - written) * rates.input
            + cached * cached_rate
            + written * write_rate
            + max(completion_tokens, 0) * rates.output
        ) / 1_000_000


class PriceTable(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, rename="camel"
):
    """A provider's list prices per model, where they were read and when.

    ``ignorePrefixes`` are taken off a model name before looking it up when the name itself
    is not listed (Bedrock's ``us.`` cross-region inference profiles cost what the model
    costs in the calling region).
    """

    models: dict[str, ModelPrice] = {}
    source: str = ""
    """The public page the prices were read from."""
    retrieved: date | None = None
    """The day they were read."""
    currency: str = "USD"
    notes: str = ""
    ignore_prefixes: tuple[str, ...] = ()

    def price_for(self, model: str) -> ModelPrice | None:
        """The price of ``model``: see :func:`lookup_price`."""
        return lookup_price(model, self.models, self.ignore_prefixes)

    def with_overrides(self, overrides: Mapping[str, ModelPrice]) -> PriceTable:
        """This table with ``overrides`` replacing (or adding) the prices of their models.

        Merging before the lookup keeps each model on its most specific entry: an override
        for ``gpt-4o`` also prices ``gpt-4o-2024-08-06``, never ``gpt-4o-mini``.
        """
        if not overrides:
            return self
        return msgspec.structs.replace(self, models={**self.models, **overrides})


NO_PRICES = PriceTable()
"""The table of a provider that ships none: every cost stays unknown."""


def lookup_price(
    model: str, prices: Mapping[str, ModelPrice], ignore_prefixes: tuple[str, ...] = ()
) -> ModelPrice | None:
    """The price of ``model``: its own entry; else the longest listed name that ``model``
    extends by a snapshot suffix (a date, a 3-4 digit number, ``latest``, ``v2:0``); else
    ``None``, never a guess. ``ignore_prefixes`` are tried off the name when it is unknown."""
    price = _lookup(model, prices)
    if price is not None:
        return price
    for prefix in ignore_prefixes:
        if model.startswith(prefix) and len(model) > len(prefix):
            return _lookup(model[len(prefix) :], prices)
    return None


def _lookup(model: str, prices: Mapping[str, ModelPrice]) -> ModelPrice | None:
    price = prices.get(model)
    if price is not None:
        return price
    best = ""
    for name in prices:
        if (
            len(best) < len(name) < len(model)
            and model.startswith(name)
            and _SNAPSHOT.fullmatch(model, len(name)) is not None
        ):
            best = name
    return prices[best] if best else None


def load_price_table(package: str, resource: str = PRICE_FILE) -> PriceTable:
    """Read and validate the price table shipped in ``package``; it must say where and when
    its prices were read. Raises :class:`PricingError` naming the file and the field."""
    where = f"{package}/{resource}"
    raw = resources.files(package).joinpath(resource).read_bytes()
    try:
        table = msgspec.json.decode(raw, type=PriceTable)
    except msgspec.ValidationError as exc:
        raise PricingError(where, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise PricingError(where, f"not JSON: {exc}") from None
    if not table.source or table.retrieved is None:
        raise PricingError(where, "a price table states its source and retrieved date")
    for model, price in table.models.items():
        _check_finite(price, f"{where}: models.{model}")
    return table


class PricingError(ValueError):
    """A price is refused; ``param`` is the path of the culprit, e.g. ``pricing.gpt-4o.input``."""

    def __init__(self, param: str, problem: str) -> None:
        self.param = param
        self.problem = problem
        super().__init__(f"{param}: {problem}")


def validate_pricing(raw: Mapping[str, Any], field: str = "pricing") -> dict[str, ModelPrice]:
    """A connection's price overrides, checked: model names, known fields only, each price
    a finite number >= 0. The error names the field (``pricing.gpt-4o.input``)."""
    prices: dict[str, ModelPrice] = {}
    for model, value in raw.items():
        if not model or len(model) > MAX_MODEL_NAME:
            raise PricingError(
                f"{field}.{model}", f"a model name of 1 to {MAX_MODEL_NAME} characters"
            )
        where = f"{field}.{model}"
        try:
            price = msgspec.convert(value, ModelPrice)
        except msgspec.ValidationError as exc:
            # msgspec hides mapping keys in its path ("$.pricing[...]"), so the path is
            # rebuilt from the model name and the part inside the price.
            problem, _, path = str(exc).partition(" - at `$")
            named = _NAMED_FIELD.search(problem)
            field_path = path.rstrip("`") + (f".{named.group(1)}" if named else "")
            raise PricingError(where + field_path, problem) from None
        prices[model] = _check_finite(price, where)
    return prices


def _check_finite(price: ModelPrice, where: str) -> ModelPrice:
    # JSON cannot say NaN or Infinity, but YAML (apply) and Python callers can, and
    # ``ge=0`` lets infinity through.
    tiers: list[tuple[str, ModelPrice | LongContextPrice]] = [("", price)]
    if price.long_context is not None:
        tiers.append((".longContext", price.long_context))
    for prefix, rates in tiers:
        for name, value in (
            ("input", rates.input),
            ("output", rates.output),
            ("cachedInput", rates.cached_input),
        ):
            if value is not None and not math.isfinite(value):
                raise PricingError(f"{where}{prefix}.{name}", "a finite number of USD")
    return price
