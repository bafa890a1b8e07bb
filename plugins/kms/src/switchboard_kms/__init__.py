"""Switchboard's AWS KMS secret box: envelope encryption with per-connection encryption contexts."""

from switchboard_kms.box import CONTEXT_KEY, KmsBox
from switchboard_kms.config import KmsSettings

__all__ = ["CONTEXT_KEY", "KmsBox", "KmsSettings"]
