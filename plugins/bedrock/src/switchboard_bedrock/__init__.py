"""Switchboard's Amazon Bedrock provider: the gateway's OpenAI calls as Converse calls.

Requests are translated to Converse (:mod:`switchboard_bedrock.request`), signed with SigV4
by botocore (:mod:`switchboard_bedrock.auth`), sent through the gateway's shared HTTP
client, and answered as OpenAI completions or chunks decoded from the AWS event stream.
"""

from switchboard_bedrock.config import BedrockCredentials, BedrockSettings
from switchboard_bedrock.provider import BedrockProvider

__all__ = ["BedrockCredentials", "BedrockProvider", "BedrockSettings"]
