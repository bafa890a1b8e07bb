"""Switchboard's tokenizer: offline prompt token counts with OpenAI's BPE vocabularies."""
