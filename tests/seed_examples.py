"""The seed's routing examples (reference/seed-core-components.md), verbatim, comments included.

Shared by the routing plugin's tests and the data plane's end-to-end tests, so both prove
the same text valid as written.
"""

__all__ = ["SEED_ADVANCED", "SEED_ERROR_RATE", "SEED_TOKENS", "SEED_TOOLS"]

SEED_TOKENS = """
routing:
  enabled: true
  conditions:
    - description: "Use Groq for small requests"
      if:
        - field: requestTokens
          operator: lessThan
          value: 100
      then:
        provider: groq
        model: llama-3.1-70b-versatile
"""
SEED_ERROR_RATE = """
routing:
  enabled: true
  conditions:
    - description: "Switch to Anthropic if error rate is high"
      if:
        - field: errorRate
          operator: greaterThan
          value: 10
          window: 10  # minutes
      then:
        provider: anthropic
        model: claude-3-5-sonnet-20241022
"""
SEED_TOOLS = """
routing:
  enabled: true
  conditions:
    - description: "Use GPT-4 for requests with tools"
      if:
        - field: hasTools
          operator: equals
          value: true
      then:
        provider: openai
        model: gpt-4o
"""
SEED_ADVANCED = """
routing:
  enabled: true
  mode: advanced
  conditions:
    - description: "Complex routing logic"
      expression: |
        requestTokens < 100 && errorRate(10, 'any') < 5
      then:
        provider: groq
        model: llama-3.1-70b-versatile
        traffic: 50  # 50% of matching requests
"""
