"""Which BPE vocabulary counts a model's tokens, and the vocabularies, loaded once on first use.

The vocabularies come from ``bpe-openai`` (Python bindings of GitHub's ``bpe`` crate), whose
compiled extension embeds ``cl100k_base`` and ``o200k_base``: nothing is downloaded, read
from a cache directory or fetched at run time (checked with the network switched off).

Only the extension is loaded, not the ``bpe_openai`` package: the package's ``__init__``
parses every bundled vocabulary into Python dictionaries for its tiktoken-compatible
``Encoding`` (measured: 0.7 s and about 67 MB per process), none of which counting needs.
The extension alone loads in under a millisecond, then ``o200k_base`` in about 50 ms and
``cl100k_base`` in about 25 ms, the first time each is used. Loaded, they hold about 67 MB
and 29 MB (measured RSS of a worker): that is why they load on first use, not at start-up —
a gateway whose environments count no tokens (no token limits, no ``requestTokens`` rule)
never pays for them.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Literal, Protocol, cast

__all__ = ["EncodingName", "Tokenizer", "encoding_for_model", "tokenizer"]

EncodingName = Literal["cl100k_base", "o200k_base"]

# The previous generation: gpt-4 (and its dated and -turbo/-32k versions, not gpt-4o, gpt-4.1
# or gpt-4.5), gpt-3.5 (Azure spells it gpt-35) and the text-embedding models.
_CL100K_PREFIXES = ("gpt-4-", "gpt-3.5", "gpt-35", "text-embedding-")

_BINDINGS = "bpe_openai._bindings"


class Tokenizer(Protocol):
    """The part of the extension's tokenizer this plugin uses."""

    def count(self, text: str) -> int:
        """The number of tokens of ``text`` (without building the token list)."""
        ...


class _Bindings(Protocol):
    def tokenizer_for_encoding(self, encoding_name: str) -> Tokenizer: ...


@lru_cache(maxsize=1024)
def encoding_for_model(model: str) -> EncodingName:
    """The vocabulary for a provider's model name.

    ``cl100k_base`` for gpt-4 (not gpt-4o, gpt-4.1), gpt-3.5 and text-embedding-*;
    ``o200k_base`` for gpt-4o, gpt-4.1, gpt-4.5, gpt-5, the o1/o3/o4 reasoning models, and
    for every other model. Other providers (Anthropic, Gemini, Llama on Groq or Bedrock, ...)
    use tokenizers of their own that cannot be loaded offline; o200k_base, a large modern
    vocabulary, is an approximation of them, and the capacity reserved with it is reconciled
    with the usage the provider reports once the answer is in.
    """
    # "openai/gpt-4" style names and fine-tuned models ("ft:gpt-4-0613:org::id").
    name = model.strip().lower().rsplit("/", 1)[-1].removeprefix("ft:")
    if name == "gpt-4" or name.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


_loading = threading.Lock()
_tokenizers: dict[EncodingName, Tokenizer] = {}


def tokenizer(encoding: EncodingName) -> Tokenizer:
    """The tokenizer of ``encoding``, loaded on first use and kept for the process."""
    found = _tokenizers.get(encoding)
    if found is None:
        with _loading:
            found = _tokenizers.get(encoding)
            if found is None:
                found = _bindings().tokenizer_for_encoding(encoding)
                _tokenizers[encoding] = found
    return found


def _bindings() -> _Bindings:
    module = sys.modules.get(_BINDINGS)
    if module is None:
        # Once someone has imported the package, its dictionaries are paid for anyway.
        imported = "bpe_openai" in sys.modules
        module = importlib.import_module(_BINDINGS) if imported else _load_extension_alone()
    return cast("_Bindings", module)


def _load_extension_alone() -> ModuleType:
    """The compiled extension, found next to the package's files without running them."""
    package = importlib.util.find_spec("bpe_openai")  # finds the package, does not import it
    for directory in (package and package.submodule_search_locations) or ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(directory) / f"_bindings{suffix}"
            if not path.is_file():
                continue
            loader = importlib.machinery.ExtensionFileLoader(_BINDINGS, str(path))
            spec = importlib.util.spec_from_file_location(_BINDINGS, path, loader=loader)
            if spec is None:
                break
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            # A PyO3 extension initialises once per process: registering it under its own
            # name lets a later ``import bpe_openai`` (anyone's) reuse it instead of failing.
            sys.modules[_BINDINGS] = module
            return module
    # Another layout than the wheel's: the ordinary import, vocabulary dictionaries and all.
    return importlib.import_module(_BINDINGS)
