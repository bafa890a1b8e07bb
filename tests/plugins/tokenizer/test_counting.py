"""Prompt counts: the cookbook's API-checked figures, then each part of a request."""

from __future__ import annotations

import time

import msgspec
import pytest

from switchboard.dataplane.openai_types import (
    ChatCompletionRequest,
    ChatMessage,
    ContentPart,
    FunctionCall,
    FunctionDefinition,
    Tool,
    ToolCall,
)
from switchboard_tokenizer.counting import (
    IMAGE_HIGH_DETAIL_TOKENS,
    IMAGE_LOW_DETAIL_TOKENS,
    MESSAGE_TOKENS,
    NAME_TOKENS,
    REPLY_PRIMER_TOKENS,
    count_prompt,
    count_text,
)
from switchboard_tokenizer.vocabularies import EncodingName, encoding_for_model, tokenizer
from tests.plugins.tokenizer.cookbook import COOKBOOK_CONVERSATION, COOKBOOK_TOOLS_REQUEST


def tokens(text: str) -> int:
    """The tokens of ``text`` on o200k_base, the vocabulary of gpt-4o."""
    return count_text(tokenizer("o200k_base"), text)


def ask(*messages: ChatMessage, **fields: object) -> ChatCompletionRequest:
    return ChatCompletionRequest(model="resource", messages=list(messages), **fields)  # type: ignore[arg-type]


# -- the vocabularies ------------------------------------------------------------------------


# The cookbook's "Comparing encodings" (section 5) and "tiktoken is great!" (section 3).
@pytest.mark.parametrize(
    ("encoding", "text", "expected"),
    [
        ("o200k_base", "tiktoken is great!", 6),
        ("cl100k_base", "antidisestablishmentarianism", 6),
        ("o200k_base", "antidisestablishmentarianism", 6),
        ("cl100k_base", "2 + 2 = 4", 7),
        ("o200k_base", "2 + 2 = 4", 7),
        ("cl100k_base", "お誕生日おめでとう", 9),
        ("o200k_base", "お誕生日おめでとう", 8),
        ("cl100k_base", "", 0),
    ],
)
def test_known_strings_count_as_tiktoken_counts_them(
    encoding: EncodingName, text: str, expected: int
) -> None:
    assert count_text(tokenizer(encoding), text) == expected


def test_lone_surrogates_are_counted_not_refused() -> None:
    # Valid in JSON ("\ud800"), not in UTF-8: counted as U+FFFD, like the provider sees it.
    assert tokens("a\ud800b") == tokens("a\ufffdb")


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("chatgpt-4o-latest", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-4.5-preview", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo-2024-04-09", "cl100k_base"),
        ("GPT-4-32k", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("gpt-35-turbo", "cl100k_base"),
        ("ft:gpt-3.5-turbo-0125:acme::abc123", "cl100k_base"),
        ("openai/gpt-4", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("text-embedding-ada-002", "cl100k_base"),
        # Other providers' tokenizers are not available offline: o200k_base approximates them.
        ("claude-3-5-sonnet-20241022", "o200k_base"),
        ("gemini-2.0-flash", "o200k_base"),
        ("llama-3.3-70b-versatile", "o200k_base"),
        ("anthropic.claude-3-haiku-20240307-v1:0", "o200k_base"),
    ],
)
def test_the_model_name_chooses_the_vocabulary(model: str, encoding: EncodingName) -> None:
    assert encoding_for_model(model) == encoding


def test_each_vocabulary_is_loaded_once() -> None:
    assert tokenizer("o200k_base") is tokenizer("o200k_base")
    assert tokenizer("cl100k_base") is not tokenizer("o200k_base")


# -- messages: the cookbook's figures, as the API reported them ------------------------------


@pytest.mark.parametrize(
    ("model", "reported"),
    [
        ("gpt-3.5-turbo", 129),
        ("gpt-4-0613", 129),
        ("gpt-4", 129),
        ("gpt-4o", 124),
        ("gpt-4o-mini", 124),
    ],
)
def test_the_cookbook_conversation_counts_what_the_api_reported(model: str, reported: int) -> None:
    assert count_prompt(COOKBOOK_CONVERSATION, model) == reported


@pytest.mark.parametrize(
    ("model", "reported"),
    [("gpt-3.5-turbo", 105), ("gpt-4", 105), ("gpt-4o", 101), ("gpt-4o-mini", 101)],
)
def test_the_cookbook_tool_counts_what_the_api_reported(model: str, reported: int) -> None:
    assert count_prompt(COOKBOOK_TOOLS_REQUEST, model) == reported


def test_message_overhead_arithmetic() -> None:
    # "tiktoken is great!" is 6 tokens on o200k_base (cookbook); roles and "bob" are one each.
    assert [tokens(t) for t in ("user", "assistant", "bob")] == [1, 1, 1]
    one = ask(ChatMessage(role="user", content="tiktoken is great!"))
    assert count_prompt(one, "gpt-4o") == REPLY_PRIMER_TOKENS + MESSAGE_TOKENS + 1 + 6 == 13
    named = ask(ChatMessage(role="user", name="bob", content="tiktoken is great!"))
    assert count_prompt(named, "gpt-4o") == 13 + NAME_TOKENS + 1 == 15
    two = ask(
        ChatMessage(role="user", content="tiktoken is great!"),
        ChatMessage(role="assistant", content="tiktoken is great!"),
    )
    assert count_prompt(two, "gpt-4o") == 13 + MESSAGE_TOKENS + 1 + 6 == 23
    assert count_prompt(ask(), "gpt-4o") == REPLY_PRIMER_TOKENS


def test_empty_and_missing_content_counts_only_the_framing() -> None:
    request = ask(ChatMessage(role="assistant", content=None), ChatMessage(role="user", content=""))
    assert count_prompt(request, "gpt-4o") == REPLY_PRIMER_TOKENS + 2 * (MESSAGE_TOKENS + 1)


# -- multimodal parts --------------------------------------------------------------------------


def test_text_parts_count_their_text_and_images_a_flat_estimate() -> None:
    huge_image = "data:image/png;base64," + "A" * 500_000  # never tokenized
    request = ask(
        ChatMessage(
            role="user",
            content=[
                ContentPart(type="text", text="tiktoken is great!"),
                ContentPart(type="image_url", image_url={"url": huge_image, "detail": "low"}),
                ContentPart(type="image_url", image_url={"url": huge_image, "detail": "high"}),
                ContentPart(type="image_url", image_url={"url": "https://example.com/a.png"}),
                ContentPart(type="text", text="2 + 2 = 4"),
            ],
        )
    )
    assert (IMAGE_LOW_DETAIL_TOKENS, IMAGE_HIGH_DETAIL_TOKENS) == (85, 765)
    expected = REPLY_PRIMER_TOKENS + MESSAGE_TOKENS + 1 + 6 + 85 + 765 + 765 + 7
    assert count_prompt(request, "gpt-4o") == expected == 1635


def test_audio_and_file_parts_count_nothing_of_their_payload() -> None:
    request = ask(
        ChatMessage(
            role="user",
            content=[
                ContentPart(type="input_audio", input_audio={"data": "UklGR" * 1000}),
                ContentPart(type="file", file={"file_data": "JVBER" * 1000}),
            ],
        )
    )
    assert count_prompt(request, "gpt-4o") == REPLY_PRIMER_TOKENS + MESSAGE_TOKENS + 1


def test_refusals_count_their_text() -> None:
    request = ask(
        ChatMessage(
            role="assistant",
            refusal="tiktoken is great!",
            content=[ContentPart(type="refusal", refusal="2 + 2 = 4")],
        )
    )
    assert count_prompt(request, "gpt-4o") == REPLY_PRIMER_TOKENS + MESSAGE_TOKENS + 1 + 6 + 7


# -- tools -------------------------------------------------------------------------------------


def test_tool_calls_count_their_name_and_arguments() -> None:
    arguments = '{"city":"Paris"}'
    request = ask(
        ChatMessage(
            role="assistant",
            content=None,
            tool_calls=[
                ToolCall(
                    id="call_1",
                    type="function",
                    function=FunctionCall(name="get_weather", arguments=arguments),
                ),
                ToolCall(
                    id="call_2",
                    type="function",
                    function=FunctionCall(name="get_weather", arguments=arguments),
                ),
            ],
        ),
        ChatMessage(role="tool", tool_call_id="call_1", content="18C"),
    )
    call = 3 + tokens("get_weather") + tokens(arguments)
    assistant = MESSAGE_TOKENS + 1 + 2 * call
    tool = MESSAGE_TOKENS + tokens("tool") + tokens("18C")
    assert count_prompt(request, "gpt-4o") == REPLY_PRIMER_TOKENS + assistant + tool


def test_schema_parts_the_cookbook_does_not_model_count_as_json() -> None:
    nested = {"type": "array", "items": {"type": "string"}, "description": "Tags."}
    plain = ChatCompletionRequest(
        model="resource",
        messages=[],
        tools=[
            Tool(
                function=FunctionDefinition(
                    name="tag",
                    parameters={"type": "object", "properties": {"tags": {"type": "array"}}},
                )
            )
        ],
    )
    richer = msgspec.structs.replace(
        plain,
        tools=[
            Tool(
                function=FunctionDefinition(
                    name="tag",
                    parameters={
                        "type": "object",
                        "properties": {"tags": nested},
                        "$defs": {"x": {}},
                    },
                )
            )
        ],
    )
    extra = (
        tokens("tags:array:Tags")
        - tokens("tags:array:")
        + tokens('{"items":{"type":"string"}}')
        + tokens('{"$defs":{"x":{}}}')
    )
    assert count_prompt(richer, "gpt-4o") == count_prompt(plain, "gpt-4o") + extra


def test_a_json_schema_response_format_counts_its_schema() -> None:
    schema = {"name": "answer", "schema": {"type": "object"}}
    plain = ask(ChatMessage(role="user", content="tiktoken is great!"))
    structured = msgspec.structs.replace(
        plain, response_format={"type": "json_schema", "json_schema": schema}
    )
    json_mode = msgspec.structs.replace(plain, response_format={"type": "json_object"})
    schema_tokens = tokens('{"name":"answer","schema":{"type":"object"}}')
    assert count_prompt(structured, "gpt-4o") == count_prompt(plain, "gpt-4o") + schema_tokens
    assert count_prompt(json_mode, "gpt-4o") == count_prompt(plain, "gpt-4o")


# -- long inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        " " * 2_000_000 + "x",  # the whitespace run that makes regex pre-tokenizers quadratic
        "a" * 2_000_000,  # one pre-token of two million bytes
        "1" * 2_000_000,
        "tiktoken is great! お誕生日おめでとう 2 + 2 = 4\n" * 50_000,
    ],
    ids=["spaces", "one-letter", "digits", "mixed"],
)
def test_long_inputs_are_counted_in_linear_time(text: str) -> None:
    # Measured at 20-110 ms for each of these; a quadratic counter would take hours.
    started = time.perf_counter()
    assert count_prompt(ask(ChatMessage(role="user", content=text)), "gpt-4o") > 0
    assert time.perf_counter() - started < 3


def test_many_messages_are_counted_in_linear_time() -> None:
    message = ChatMessage(role="user", content="tiktoken is great!")
    request = ask(*[message] * 100_000)
    started = time.perf_counter()
    assert count_prompt(request, "gpt-4o") == REPLY_PRIMER_TOKENS + 100_000 * (3 + 1 + 6)
    assert time.perf_counter() - started < 3
