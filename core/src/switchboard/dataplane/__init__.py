"""The data plane: what applications call (OpenAI- and Anthropic-compatible APIs)."""
