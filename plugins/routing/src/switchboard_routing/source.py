"""Advanced-mode source text: the ``&&``/``||``/``!`` aliases, and positions of errors.

Expressions are written as in the seed (``requestTokens < 100 && errorRate(10, 'any') < 5``)
and parsed by Python's own parser after the aliases become ``and``/``or``/``not``, line
breaks become spaces and ``#`` comments are blanked out (so an expression may span lines).
Every character of the translated line remembers where it came from, so an error found in
the parsed tree is reported at its line and column in what the user wrote.
"""

from __future__ import annotations

__all__ = ["Source"]

_ALIASES = {"&&": " and ", "||": " or "}


class Source:
    """An expression as written, its one-line Python translation, and the map between."""

    def __init__(self, written: str) -> None:
        self.written = written.replace("\r\n", "\n").replace("\r", "\n")
        text: list[str] = []
        origin: list[int] = []
        quote: str | None = None
        comment = False
        index, end = 0, len(self.written)
        while index < end:
            char = self.written[index]
            pair = self.written[index : index + 2]
            step = 1
            if char == "\n":
                comment, replacement = False, " "
            elif comment:
                replacement = " "
            elif quote is not None:
                step = 2 if char == "\\" and index + 1 < end else 1
                if char == quote:
                    quote = None
                replacement = self.written[index : index + step]
            elif char in "'\"":
                quote, replacement = char, char
            elif char == "#":
                comment, replacement = True, " "
            elif pair in _ALIASES:
                step, replacement = 2, _ALIASES[pair]
            elif char == "!" and self.written[index + 1 : index + 2] != "=":
                replacement = " not "
            else:
                replacement = char
            text.append(replacement)
            origin.extend(_spread(index, step, replacement))
            index += step
        translated = "".join(text)
        # Python refuses leading blanks ("unexpected indent"): parse from the first character.
        self.indent = len(translated) - len(translated.lstrip())
        self.python = translated[self.indent :]
        self._origin = origin

    def offset_of(self, column: int, *, in_bytes: bool) -> int:
        """The 0-based offset in the written text of 0-based ``column`` of :attr:`python`
        (counted in UTF-8 bytes when ``in_bytes``, as the parsed tree counts)."""
        if in_bytes:
            column = len(self.python.encode()[:column].decode(errors="ignore"))
        translated = self.indent + max(column, 0)
        if translated >= len(self._origin):
            return len(self.written.rstrip())
        return self._origin[translated]

    def where(self, offset: int) -> str:
        """``column N`` (one-line expressions) or ``line L, column N``, 1-based."""
        line = self.written.count("\n", 0, offset) + 1
        column = offset - (self.written.rfind("\n", 0, offset) + 1) + 1
        if len(self.written.strip().splitlines()) <= 1 and line == _first_line(self.written):
            return f"column {column}"
        return f"line {line}, column {column}"


def _spread(index: int, step: int, replacement: str) -> list[int]:
    """Origins for ``replacement`` of ``step`` written characters starting at ``index``."""
    if len(replacement) == step:
        return [index + i for i in range(step)]
    return [index] * len(replacement)


def _first_line(text: str) -> int:
    """The 1-based line of the first non-blank character."""
    stripped = len(text) - len(text.lstrip())
    return text.count("\n", 0, stripped) + 1
