"""The checks every provider plugin's price table passes (``prices.json``, see
docs/pricing.md). Subclass in the plugin's tests and say what the table must hold::

    class TestPrices(PriceTableChecks):
        provider = OpenAIProvider
        package = "switchboard_openai"
        flagships = {"gpt-4o": (2.5, 10.0, 1.25)}   # input, output, cachedInput per 1M
        snapshots = {"gpt-4o-2024-08-06": "gpt-4o"}  # a snapshot and the model it prices as
        unknown = ["ft:gpt-4o-mini:acme::x1"]       # other models: no price, never a guess
        left_out = set()                             # known models knowingly unpriced
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import ClassVar

from switchboard.interfaces import Provider
from switchboard.pricing import load_price_table

__all__ = ["PriceTableChecks"]


class PriceTableChecks:
    """A provider plugin's price table: it loads, says where and when its prices were read,
    prices the flagship models and their snapshots, and guesses nothing else."""

    provider: ClassVar[type[Provider]]
    package: ClassVar[str]
    flagships: ClassVar[Mapping[str, tuple[float, float, float | None]]]
    snapshots: ClassVar[Mapping[str, str]] = {}
    unknown: ClassVar[Sequence[str]] = ()
    left_out: ClassVar[Set[str]] = frozenset()

    def test_the_table_loads_and_says_where_and_when_its_prices_were_read(self) -> None:
        table = load_price_table(self.package)
        assert table == self.provider.prices
        assert table.source.startswith("https://")
        assert table.retrieved is not None
        assert table.currency == "USD"

    def test_flagship_models_are_priced(self) -> None:
        for model, rates in self.flagships.items():
            price = self.provider.prices.price_for(model)
            assert price is not None, model
            assert (price.input, price.output, price.cached_input) == rates, model

    def test_snapshots_take_their_models_price(self) -> None:
        table = self.provider.prices
        for snapshot, model in self.snapshots.items():
            assert table.price_for(snapshot) == table.models[model], snapshot

    def test_other_models_get_no_price(self) -> None:
        for model in self.unknown:
            assert self.provider.prices.price_for(model) is None, model

    def test_every_known_model_is_priced_or_knowingly_left_out(self) -> None:
        table = self.provider.prices
        unpriced = {m for m in self.provider.known_models if table.price_for(m) is None}
        assert unpriced == self.left_out
