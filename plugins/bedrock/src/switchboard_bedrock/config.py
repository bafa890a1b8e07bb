"""A connection's settings and credentials for Amazon Bedrock.

Credentials are either an access key (``accessKeyId`` + ``secretAccessKey``, optionally with
the ``sessionToken`` of temporary credentials) or a role to assume (``roleArn``, optionally
``externalId``). A role alone is assumed with the gateway's own AWS identity (environment,
shared config, instance or task role); a role with an access key is assumed with that key.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["BedrockCredentials", "BedrockSettings"]

Region = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$",
        description="The AWS Region of the Bedrock Runtime endpoint, e.g. us-east-1.",
    ),
]
EndpointUrl = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^https?://\S+$",
        description="Another endpoint than the Region's public one (a VPC endpoint, a test).",
    ),
]
RoleArn = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$",
        description="The IAM role the gateway assumes through STS for this connection.",
    ),
]


class BedrockSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """Where the connection sends its calls: the Region, or explicit endpoints."""

    region: Region
    endpoint_url: EndpointUrl | None = None
    sts_endpoint_url: EndpointUrl | None = None

    @property
    def runtime_url(self) -> str:
        """The Bedrock Runtime base URL (no trailing slash)."""
        if self.endpoint_url:
            return self.endpoint_url.rstrip("/")
        return f"https://bedrock-runtime.{self.region}.amazonaws.com"


class BedrockCredentials(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    """An access key, a role to assume, or both (the key then assumes the role).

    Every field is a secret: write-only, stored encrypted, masked in ``repr``.
    """

    access_key_id: Annotated[str, msgspec.Meta(min_length=16, max_length=128)] | None = None
    secret_access_key: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    session_token: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    role_arn: RoleArn | None = None
    external_id: Annotated[str, msgspec.Meta(min_length=2, max_length=1224)] | None = None

    def __post_init__(self) -> None:
        # msgspec reports a ValueError raised here as a validation error of the whole object.
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("accessKeyId and secretAccessKey go together")
        if self.access_key_id is None and self.role_arn is None:
            raise ValueError("give an access key (accessKeyId, secretAccessKey) or a roleArn")
        if self.session_token is not None and self.access_key_id is None:
            raise ValueError("sessionToken needs accessKeyId and secretAccessKey")
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("externalId needs roleArn")

    def __repr__(self) -> str:
        shown = {
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "session_token": self.session_token,
            "role_arn": self.role_arn,
            "external_id": self.external_id,
        }
        fields = ", ".join(f"{name}='***'" for name, value in shown.items() if value is not None)
        return f"BedrockCredentials({fields})"
