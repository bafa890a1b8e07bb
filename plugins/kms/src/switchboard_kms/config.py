"""The kms plugin's settings in an environment (camelCase, like the rest of the control plane)."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["DEFAULT_DATA_KEY_CACHE_SECONDS", "KmsSettings"]

DEFAULT_DATA_KEY_CACHE_SECONDS = 300


class KmsSettings(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, rename="camel"
):
    """Which KMS key wraps the environment's data keys, and how to reach AWS KMS.

    AWS credentials come from boto3's default chain (environment, shared config, container
    or instance role), never from these settings.
    """

    key_id: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            description=(
                "The KMS key that wraps data keys: key id, key ARN, alias name "
                "(`alias/switchboard`) or alias ARN."
            ),
        ),
    ]
    region: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$",
                description=(
                    "AWS region of the key. Default: the region in `keyId` when it is an ARN, "
                    "else boto3's default (`AWS_REGION`, shared config)."
                ),
            ),
        ]
        | None
    ) = None
    endpoint_url: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=r"^https?://\S+$",
                description="Another KMS endpoint (a VPC endpoint, or a local emulator in tests).",
            ),
        ]
        | None
    ) = None
    data_key_cache_seconds: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=3600,
            description=(
                "How long a decrypted data key is kept in memory, so opening a connection's "
                "credentials costs one KMS Decrypt per window; 0 disables the cache."
            ),
        ),
    ] = DEFAULT_DATA_KEY_CACHE_SECONDS
