"""The vocabularies load offline, once, without the bpe_openai package's Python dictionaries.

Each test runs in a fresh interpreter: what is loaded, opened and connected is per process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(script: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_counting_loads_no_vocabulary_file_and_opens_no_socket() -> None:
    out = run(
        """
        import sys

        seen = []

        def audit(event, args):
            if event.startswith("socket.") or event == "urllib.Request":
                seen.append(event)
            elif event == "open" and "tiktoken" in str(args[0]):
                seen.append(f"open {args[0]}")

        sys.addaudithook(audit)

        from switchboard_tokenizer.vocabularies import tokenizer

        names = ("cl100k_base", "o200k_base")
        counts = [tokenizer(name).count("お誕生日おめでとう") for name in names]
        print(counts, "bpe_openai" in sys.modules, seen)
        """
    )
    # The vocabularies are in the extension; the package (which parses .tiktoken.gz files into
    # dictionaries when imported) is never imported.
    assert out == "[9, 8] False []"


def test_the_bpe_openai_package_still_imports_after_the_extension_alone() -> None:
    out = run(
        """
        from switchboard_tokenizer.vocabularies import tokenizer

        ours = tokenizer("o200k_base").count("tiktoken is great!")

        import bpe_openai
        from bpe_openai import _bindings

        theirs = bpe_openai.get_encoding("o200k_base").encode("tiktoken is great!")
        print(ours, theirs, _bindings.tokenizer_for_encoding("o200k_base").count("2 + 2 = 4"))
        """
    )
    # The token ids the cookbook prints for "tiktoken is great!" on o200k_base.
    assert out == "6 [83, 8251, 2488, 382, 2212, 0] 7"


def test_an_imported_bpe_openai_package_is_reused() -> None:
    out = run(
        """
        import sys

        import bpe_openai

        from switchboard_tokenizer.vocabularies import tokenizer

        print(tokenizer("cl100k_base").count("2 + 2 = 4"), "bpe_openai._bindings" in sys.modules)
        """
    )
    assert out == "7 True"
