"""Anthropic Messages requests become the gateway's OpenAI requests; what cannot is reported."""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types import message_create_params
from anthropic.types.beta import message_create_params as beta_message_create_params

from switchboard.dataplane.anthropic_format import MessagesRequest, decode_request, to_openai
from switchboard.errors import BadRequest
from tests.core.dataplane.support import assistant, request, translate, user

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
OPENAI_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": WEATHER_TOOL["input_schema"],
    },
}


def refused(body: dict[str, Any] | bytes) -> BadRequest:
    """The 400 a body gets, from decoding or translating."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(BadRequest) as caught:
        to_openai(decode_request(raw))
    return caught.value


# -- the reference example ------------------------------------------------------------------


def test_the_reference_request() -> None:
    """The request of providers.md §3, field by field."""
    openai, dropped = translate(
        {
            "model": "claude-x",
            "max_tokens": 1024,
            "system": [
                {
                    "type": "text",
                    "text": "Be brief.",
                    "cache_control": {"type": "ephemeral", "ttl": "5m"},
                }
            ],
            "messages": [
                user(
                    [
                        {"type": "text", "text": "What is in this image, and the weather?"},
                        {
                            "type": "image",
                            "source": {
                                "type": "base64",
                                "media_type": "image/png",
                                "data": "iVBOR",
                            },
                        },
                    ]
                ),
                assistant(
                    [
                        {
                            "type": "tool_use",
                            "id": "toolu_01",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        }
                    ]
                ),
                user(
                    [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_01",
                            "content": "18C",
                            "is_error": False,
                        }
                    ]
                ),
            ],
            "tools": [WEATHER_TOOL],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": False},
            "stop_sequences": ["END"],
            "stream": True,
        }
    )
    assert openai == {
        "model": "claude-x",
        "max_tokens": 1024,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this image, and the weather?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "toolu_01",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_01", "content": "18C"},
        ],
        "tools": [OPENAI_WEATHER_TOOL],
        "tool_choice": "auto",
        "stop": ["END"],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert dropped == ["system[].cache_control"]


def test_a_plain_request_drops_nothing() -> None:
    openai, dropped = translate(request(user("Hello")))
    assert openai == {
        "model": "claude-x",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Hello"}],
    }
    assert dropped == []


# -- the system prompt ------------------------------------------------------------------------


def test_system_as_a_string_comes_first() -> None:
    openai, _ = translate(request(user("Hi"), system="Be brief."))
    assert openai["messages"][0] == {"role": "system", "content": "Be brief."}


def test_empty_system_makes_no_message() -> None:
    empty: list[Any] = ["", []]
    for system in empty:
        openai, _ = translate(request(user("Hi"), system=system))
        assert [m["role"] for m in openai["messages"]] == ["user"]


def test_several_system_blocks_stay_separate_parts() -> None:
    blocks = [{"type": "text", "text": "One."}, {"type": "text", "text": "Two."}]
    openai, dropped = translate(request(user("Hi"), system=blocks))
    assert openai["messages"][0] == {
        "role": "system",
        "content": [{"type": "text", "text": "One."}, {"type": "text", "text": "Two."}],
    }
    assert dropped == []


def test_system_role_messages_stay_where_they_are() -> None:
    openai, _ = translate(
        request(
            user("Hi"),
            {"role": "system", "content": "Now be formal."},
            {"role": "system", "content": [{"type": "text", "text": "Very formal."}]},
            system="Be brief.",
        )
    )
    assert openai["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "system", "content": "Now be formal."},
        {"role": "system", "content": "Very formal."},
    ]


def test_a_system_message_holds_only_text() -> None:
    image = {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}}
    error = refused(request({"role": "system", "content": [image]}))
    assert error.param == "messages[0].content"
    assert "only hold text" in error.message


# -- user turns -------------------------------------------------------------------------------


def test_one_text_block_is_a_string_and_several_are_parts() -> None:
    one, _ = translate(request(user([{"type": "text", "text": "Hi"}])))
    assert one["messages"] == [{"role": "user", "content": "Hi"}]
    two, _ = translate(
        request(user([{"type": "text", "text": "Hi"}, {"type": "text", "text": "there"}]))
    )
    assert two["messages"][0]["content"] == [
        {"type": "text", "text": "Hi"},
        {"type": "text", "text": "there"},
    ]


def test_images_by_url_and_inline() -> None:
    openai, _ = translate(
        request(
            user(
                [
                    {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/"},
                    },
                ]
            )
        )
    )
    assert openai["messages"][0]["content"] == [
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/"}},
    ]


def test_an_image_from_the_files_api_is_refused_naming_the_field() -> None:
    image = {"type": "image", "source": {"type": "file", "file_id": "file_01"}}
    error = refused(request(user([image])))
    assert error.param == "messages[0].content[0].source.type"
    assert "'file'" in error.message


def test_tool_results_come_first_as_tool_messages_in_order() -> None:
    openai, dropped = translate(
        request(
            user("Weather in Paris and Rome?"),
            assistant(
                [
                    {"type": "text", "text": "Checking both."},
                    {"type": "tool_use", "id": "toolu_a", "name": "w", "input": {"c": "Paris"}},
                    {"type": "tool_use", "id": "toolu_b", "name": "w", "input": {"c": "Rome"}},
                ]
            ),
            user(
                [
                    {"type": "text", "text": "Here you go."},
                    {"type": "tool_result", "tool_use_id": "toolu_a", "content": "18C"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_b",
                        "content": [{"type": "text", "text": "21C"}],
                    },
                ]
            ),
        )
    )
    assert openai["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                {
                    "id": "toolu_a",
                    "type": "function",
                    "function": {"name": "w", "arguments": '{"c":"Paris"}'},
                },
                {
                    "id": "toolu_b",
                    "type": "function",
                    "function": {"name": "w", "arguments": '{"c":"Rome"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_a", "content": "18C"},
        {"role": "tool", "tool_call_id": "toolu_b", "content": "21C"},
        {"role": "user", "content": "Here you go."},
    ]
    assert dropped == []


def test_tool_result_media_moves_into_the_user_turn() -> None:
    """A tool message only takes text: images and PDFs lead the user message after it."""
    pdf = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBER"},
    }
    screenshot = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
    }
    openai, _ = translate(
        request(
            user(
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_a",
                        "content": [
                            {"type": "text", "text": "Took a screenshot."},
                            screenshot,
                            {"type": "text", "text": "And a report."},
                            pdf,
                        ],
                    },
                    {"type": "text", "text": "What do you see?"},
                ]
            )
        )
    )
    assert openai["messages"] == [
        {
            "role": "tool",
            "tool_call_id": "toolu_a",
            "content": [
                {"type": "text", "text": "Took a screenshot."},
                {"type": "text", "text": "And a report."},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBER"}},
                {"type": "text", "text": "What do you see?"},
            ],
        },
    ]


def test_a_tool_result_without_content_is_empty_and_is_error_is_reported() -> None:
    openai, dropped = translate(
        request(
            user(
                [
                    {"type": "tool_result", "tool_use_id": "toolu_a"},
                    {"type": "tool_result", "tool_use_id": "toolu_b", "content": "boom"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_c",
                        "content": "failed",
                        "is_error": True,
                    },
                ]
            )
        )
    )
    assert openai["messages"] == [
        {"role": "tool", "tool_call_id": "toolu_a", "content": ""},
        {"role": "tool", "tool_call_id": "toolu_b", "content": "boom"},
        {"role": "tool", "tool_call_id": "toolu_c", "content": "failed"},
    ]
    assert dropped == ["messages[].content[].is_error"]


def test_a_tool_use_block_in_a_user_turn_is_refused() -> None:
    block = {"type": "tool_use", "id": "toolu_a", "name": "w", "input": {}}
    error = refused(request(user([{"type": "text", "text": "Hi"}, block])))
    assert error.param == "messages[0].content[1]"
    assert "assistant" in error.message


# -- documents --------------------------------------------------------------------------------


def test_documents_inline_where_they_can() -> None:
    openai, dropped = translate(
        request(
            user(
                [
                    {
                        "type": "document",
                        "title": "report.pdf",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "JVBER",
                        },
                    },
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": "Notes."},
                    },
                    {"type": "document", "source": {"type": "content", "content": "More notes."}},
                ]
            )
        )
    )
    assert openai["messages"][0]["content"] == [
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBER", "filename": "report.pdf"},
        },
        {"type": "text", "text": "Notes."},
        {"type": "text", "text": "More notes."},
    ]
    assert dropped == []


def test_documents_that_cannot_be_inlined_are_dropped_and_reported() -> None:
    openai, dropped = translate(
        request(
            user(
                [
                    {"type": "text", "text": "Summarize."},
                    {"type": "document", "source": {"type": "url", "url": "https://x.test/a.pdf"}},
                    {"type": "document", "source": {"type": "file", "file_id": "file_01"}},
                    {
                        "type": "document",
                        "title": "Notes",
                        "context": "From the meeting.",
                        "citations": {"enabled": True},
                        "source": {"type": "text", "data": "Notes."},
                    },
                ]
            )
        )
    )
    assert openai["messages"][0]["content"] == [
        {"type": "text", "text": "Summarize."},
        {"type": "text", "text": "Notes."},
    ]
    assert dropped == [
        "messages[].content[].document",
        "messages[].content[].document.context",
        "messages[].content[].document.citations",
        "messages[].content[].document.title",
    ]


# -- assistant turns --------------------------------------------------------------------------


def test_assistant_text_blocks_are_joined_and_thinking_is_dropped() -> None:
    openai, dropped = translate(
        request(
            user("Hi"),
            assistant(
                [
                    {"type": "thinking", "thinking": "Greet back.", "signature": "EqQB"},
                    {"type": "redacted_thinking", "data": "xyz"},
                    {"type": "text", "text": "Hello, "},
                    {"type": "text", "text": "friend."},
                ]
            ),
            user("Bye"),
        )
    )
    assert openai["messages"][1] == {"role": "assistant", "content": "Hello, friend."}
    assert dropped == [
        "messages[].content[].thinking",
        "messages[].content[].redacted_thinking",
    ]


def test_an_assistant_turn_left_empty_is_skipped() -> None:
    openai, dropped = translate(
        request(
            user("Hi"),
            assistant([{"type": "thinking", "thinking": "...", "signature": "s"}]),
            user("Still there?"),
        )
    )
    assert [m["role"] for m in openai["messages"]] == ["user", "user"]
    assert dropped == ["messages[].content[].thinking"]


def test_a_string_assistant_turn_is_a_prefill() -> None:
    openai, _ = translate(request(user("Count to three"), assistant("One,")))
    assert openai["messages"][-1] == {"role": "assistant", "content": "One,"}


def test_tool_input_becomes_json_arguments() -> None:
    tool_input = {"q": "café", "n": 2, "nested": {"list": [1, None, True]}}
    openai, _ = translate(
        request(
            user("Search"),
            assistant([{"type": "tool_use", "id": "toolu_x", "name": "s", "input": tool_input}]),
        )
    )
    arguments = openai["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(arguments) == tool_input


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "x"},
    ],
)
def test_media_and_tool_results_in_an_assistant_turn_are_refused(block: dict[str, Any]) -> None:
    error = refused(request(user("Hi"), assistant([block])))
    assert error.param == "messages[1].content[0]"
    assert block["type"] in error.message


def test_cache_control_and_citations_on_blocks_are_reported() -> None:
    cached = {"type": "ephemeral"}
    _, dropped = translate(
        request(
            user(
                [
                    {"type": "text", "text": "Long context", "cache_control": cached},
                    {
                        "type": "tool_result",
                        "tool_use_id": "t",
                        "content": [{"type": "text", "text": "x", "cache_control": cached}],
                    },
                ]
            ),
            assistant([{"type": "text", "text": "Yes", "citations": [{"type": "char_location"}]}]),
            cache_control=cached,
        )
    )
    assert dropped == [
        "messages[].content[].cache_control",
        "messages[].content[].content[].cache_control",
        "messages[].content[].citations",
        "cache_control",
    ]


def test_cache_control_is_reported_under_the_path_of_its_block() -> None:
    cached = {"type": "ephemeral"}
    image = {
        "type": "image",
        "source": {"type": "url", "url": "https://x.test/a.png"},
        "cache_control": cached,
    }
    _, dropped = translate(
        request(user([{"type": "tool_result", "tool_use_id": "t", "content": [image]}]))
    )
    assert dropped == ["messages[].content[].content[].cache_control"]
    _, dropped = translate(
        request(user([{"type": "tool_result", "tool_use_id": "t", "cache_control": cached}]))
    )
    assert dropped == ["messages[].content[].cache_control"]


# -- tools ------------------------------------------------------------------------------------


def test_client_tools_become_functions() -> None:
    strict_tool = {
        "type": "custom",
        "name": "lookup",
        "input_schema": {"type": "object", "properties": {}},
        "strict": True,
        "cache_control": {"type": "ephemeral"},
    }
    openai, dropped = translate(request(user("Hi"), tools=[WEATHER_TOOL, strict_tool]))
    assert openai["tools"] == [
        OPENAI_WEATHER_TOOL,
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {"type": "object", "properties": {}},
                "strict": True,
            },
        },
    ]
    assert dropped == ["tools[].cache_control"]


def test_server_tools_are_dropped_by_name() -> None:
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
    openai, dropped = translate(request(user("Hi"), tools=[search, WEATHER_TOOL]))
    assert openai["tools"] == [OPENAI_WEATHER_TOOL]
    assert dropped == ["tools[web_search]"]


def test_a_client_tool_needs_an_input_schema() -> None:
    error = refused(request(user("Hi"), tools=[WEATHER_TOOL, {"name": "bare"}]))
    assert error.param == "tools[1].input_schema"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        (
            {"type": "tool", "name": "get_weather"},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_tool_choice(choice: dict[str, Any], expected: Any) -> None:
    openai, dropped = translate(request(user("Hi"), tools=[WEATHER_TOOL], tool_choice=choice))
    assert openai["tool_choice"] == expected
    assert "parallel_tool_calls" not in openai
    assert dropped == []


@pytest.mark.parametrize("kind", ["auto", "any", "tool"])
def test_disable_parallel_tool_use(kind: str) -> None:
    choice = {"type": kind, "name": "get_weather", "disable_parallel_tool_use": True}
    openai, _ = translate(request(user("Hi"), tools=[WEATHER_TOOL], tool_choice=choice))
    assert openai["parallel_tool_calls"] is False


def test_a_tool_choice_without_tools() -> None:
    for quiet in ("auto", "none"):
        openai, dropped = translate(request(user("Hi"), tool_choice={"type": quiet}))
        assert "tool_choice" not in openai and dropped == []
    openai, dropped = translate(request(user("Hi"), tool_choice={"type": "any"}))
    assert "tool_choice" not in openai and dropped == ["tool_choice"]


def test_a_tool_choice_of_type_tool_needs_a_name() -> None:
    error = refused(request(user("Hi"), tools=[WEATHER_TOOL], tool_choice={"type": "tool"}))
    assert error.param == "tool_choice.name"


# -- parameters -------------------------------------------------------------------------------


def test_sampling_and_limits() -> None:
    openai, dropped = translate(
        request(
            user("Hi"),
            max_tokens=321,
            temperature=0.2,
            top_p=0.9,
            top_k=40,
            stop_sequences=["END", "STOP"],
            stream=False,
            metadata={"user_id": "user-42"},
        )
    )
    assert {k: v for k, v in openai.items() if k != "messages"} == {
        "model": "claude-x",
        "max_tokens": 321,
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["END", "STOP"],
        "stream": False,
        "user": "user-42",
    }
    assert dropped == ["top_k"]


def test_metadata_without_a_user_id_asks_for_nothing() -> None:
    openai, dropped = translate(request(user("Hi"), metadata={}, stop_sequences=[]))
    assert "user" not in openai and "stop" not in openai and dropped == []


@pytest.mark.parametrize(
    ("tier", "expected"), [("auto", "auto"), ("standard_only", "default"), ("priority", None)]
)
def test_service_tier(tier: str, expected: str | None) -> None:
    openai, dropped = translate(request(user("Hi"), service_tier=tier))
    assert openai.get("service_tier") == expected
    assert dropped == ([] if expected else ["service_tier"])


def test_output_config() -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    openai, dropped = translate(
        request(
            user("Hi"),
            output_config={"effort": "high", "format": {"type": "json_schema", "schema": schema}},
        )
    )
    assert openai["reasoning_effort"] == "high"
    assert openai["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema},
    }
    assert dropped == []
    openai, dropped = translate(
        request(user("Hi"), output_config={"effort": "max", "format": {"type": "yaml"}})
    )
    assert "reasoning_effort" not in openai and "response_format" not in openai
    assert dropped == ["output_config.effort", "output_config.format"]


def test_thinking_is_dropped_unless_disabled() -> None:
    _, dropped = translate(request(user("Hi"), thinking={"type": "disabled"}))
    assert dropped == []
    _, dropped = translate(request(user("Hi"), thinking={"type": "enabled", "budget_tokens": 2048}))
    assert dropped == ["thinking"]
    _, dropped = translate(request(user("Hi"), thinking={"type": "adaptive"}))
    assert dropped == ["thinking"]


def test_fields_without_an_equivalent_are_reported_and_null_ones_are_not() -> None:
    extras: dict[str, Any] = {
        "container": "container_01",
        "context_management": {"edits": []},
        "mcp_servers": [{"type": "url", "url": "https://mcp.test", "name": "m"}],
        "inference_geo": "us",
        "speed": "fast",
        "top_k": None,
        "thinking": None,
    }
    _, dropped = translate(request(user("Hi"), **extras))
    assert dropped == ["container", "context_management", "mcp_servers", "inference_geo", "speed"]


def test_every_field_the_sdk_sends_is_known() -> None:
    """A field the Anthropic SDK can send is either translated or reported, never ignored."""
    known = set(MessagesRequest.__struct_fields__)
    for params in (
        message_create_params.MessageCreateParamsBase,
        beta_message_create_params.MessageCreateParamsBase,
    ):
        sdk_fields = set(params.__annotations__) - {"betas"}  # betas is a header
        assert sdk_fields <= known, sdk_fields - known


# -- bodies that do not decode ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"model": "m", "messages": []}, "max_tokens", "required"),
        (request(user("Hi"), max_tokens="lots"), "max_tokens", "Expected `int`, got `str`"),
        (request({"role": "tool", "content": "x"}), "messages[0].role", "'tool'"),
        (request(user(5)), "messages[0].content", "Expected `str | array`"),
        (request(user([{"text": "Hi"}])), "messages[0].content[0].type", "required"),
        (
            request(user([{"type": "search_result", "source": "s"}])),
            "messages[0].content[0].type",
            "these block types: text, image",
        ),
        (
            request(
                user([{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "x"}]}])
            ),
            "messages[0].content[0].content[0].type",
            "these block types: text, image, document",
        ),
        (request(user([{"type": "text"}])), "messages[0].content[0].text", "required"),
        (request(user("Hi"), tools=[{"input_schema": {}}]), "tools[0].name", "required"),
        (request(user("Hi"), tool_choice={"type": "maybe"}), "tool_choice.type", "'maybe'"),
    ],
)
def test_decoding_errors_name_the_field(body: dict[str, Any], param: str, words: str) -> None:
    error = refused(body)
    assert error.param == param
    assert error.message.startswith(f"{param}: ")
    assert words in error.message


def test_a_body_that_is_not_json_or_not_an_object() -> None:
    error = refused(b'{"model": ')
    assert error.param is None and "not valid JSON" in error.message
    error = refused(b"[1, 2]")
    assert error.param is None and "Expected `object`, got `array`" in error.message
