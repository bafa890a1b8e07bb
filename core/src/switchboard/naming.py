"""Names of objects (workspaces, environments, roles, users...) and email addresses.

Names become parts of policy resource names (``workspace:<name>:environment:<name>``) and
of URL paths, so the characters that structure those are refused; anything else (unicode,
quotes, spaces inside) is kept exactly as given.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["EMAIL_PATTERN", "NAME_PATTERN", "PATTERN_MEANINGS", "Email", "Name"]

NAME_PATTERN = r"^[^:*?/\\\x00-\x1f\x7f]+$"
EMAIL_PATTERN = r"^[^@\s:*?/]+@[^@\s:*?/]+$"

# What a failed pattern means, for error messages (msgspec only quotes the regex).
PATTERN_MEANINGS = {
    NAME_PATTERN: "must not contain ':', '*', '?', '/', '\\' or control characters",
    EMAIL_PATTERN: "must be an email address (name@domain)",
}

Name = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=255,
        pattern=NAME_PATTERN,
        description="1-255 characters; no ':', '*', '?', '/', '\\' or control characters.",
    ),
]
Email = Annotated[
    str,
    msgspec.Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN, description="An email."),
]
