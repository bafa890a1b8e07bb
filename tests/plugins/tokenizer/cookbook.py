"""Requests shared by the tokenizer tests: the examples of OpenAI's cookbook.

"How to count tokens with tiktoken" (github.com/openai/openai-cookbook,
examples/How_to_count_tokens_with_tiktoken.ipynb) prints, for each, the prompt tokens the
OpenAI API reported; those figures are what the tests expect.
"""

from __future__ import annotations

from switchboard.dataplane.openai_types import (
    ChatCompletionRequest,
    ChatMessage,
    FunctionDefinition,
    Tool,
)

__all__ = ["COOKBOOK_CONVERSATION", "COOKBOOK_TOOLS_REQUEST"]

# Section 6: 129 prompt tokens on gpt-3.5-turbo and gpt-4, 124 on gpt-4o and gpt-4o-mini.
COOKBOOK_CONVERSATION = ChatCompletionRequest(
    model="resource",
    messages=[
        ChatMessage(
            role="system",
            content="You are a helpful, pattern-following assistant that translates corporate "
            "jargon into plain English.",
        ),
        ChatMessage(
            role="system",
            name="example_user",
            content="New synergies will help drive top-line growth.",
        ),
        ChatMessage(
            role="system",
            name="example_assistant",
            content="Things working well together will increase revenue.",
        ),
        ChatMessage(
            role="system",
            name="example_user",
            content="Let's circle back when we have more bandwidth to touch base on "
            "opportunities for increased leverage.",
        ),
        ChatMessage(
            role="system",
            name="example_assistant",
            content="Let's talk later when we're less busy about how to do better.",
        ),
        ChatMessage(
            role="user",
            content="This late pivot means we don't have time to boil the ocean for the client "
            "deliverable.",
        ),
    ],
)

# Section 7: 105 prompt tokens on gpt-3.5-turbo and gpt-4, 101 on gpt-4o and gpt-4o-mini.
COOKBOOK_TOOLS_REQUEST = ChatCompletionRequest(
    model="resource",
    messages=[
        ChatMessage(
            role="system",
            content="You are a helpful assistant that can answer to questions about the weather.",
        ),
        ChatMessage(role="user", content="What's the weather like in San Francisco?"),
    ],
    tools=[
        Tool(
            function=FunctionDefinition(
                name="get_current_weather",
                description="Get the current weather in a given location",
                parameters={
                    "type": "object",
                    "properties": {
                        "location": {
                            "type": "string",
                            "description": "The city and state, e.g. San Francisco, CA",
                        },
                        "unit": {
                            "type": "string",
                            "description": "The unit of temperature to return",
                            "enum": ["celsius", "fahrenheit"],
                        },
                    },
                    "required": ["location"],
                },
            )
        )
    ],
)
