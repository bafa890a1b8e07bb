"""OpenAI-shaped requests become the Anthropic Messages requests the docstring's table says."""

from __future__ import annotations

from typing import Any

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
from switchboard.interfaces.provider import ProviderCall, ProviderError
from switchboard_anthropic import AnthropicCredentials, AnthropicSettings
from switchboard_anthropic.request import accepts_sampling, build_request, tool_use_id

WEATHER = Tool(
    function=FunctionDefinition(
        name="get_weather",
        description="The weather in a city.",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
)


def user(content: str | list[ContentPart]) -> ChatMessage:
    return ChatMessage(role="user", content=content)


def tool_call(call_id: str, arguments: str = '{"city":"Paris"}') -> ToolCall:
    return ToolCall(
        id=call_id,
        type="function",
        function=FunctionCall(name="get_weather", arguments=arguments),
    )


def translate(
    *messages: ChatMessage, settings: AnthropicSettings | None = None, **fields: Any
) -> tuple[dict[str, Any], list[str]]:
    """The native body as JSON and the parameters reported as dropped."""
    call = ProviderCall(
        request_id="req-1",
        connection_id="conn-1",
        connection_name="test",
        model="claude-haiku-4-5",
        settings=settings or AnthropicSettings(),
        credentials=AnthropicCredentials(api_key="sk-ant-unit"),
        request=ChatCompletionRequest(model="resource", messages=list(messages), **fields),
    )
    native = build_request(call, call.settings)
    body: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(native))
    return body, call.dropped_params


def refused(*messages: ChatMessage, **fields: Any) -> ProviderError:
    with pytest.raises(ProviderError) as failed:
        translate(*messages, **fields)
    assert (failed.value.error_class, failed.value.status) == ("bad_request", 400)
    assert failed.value.message.startswith("anthropic: ")
    return failed.value


# -- the conversation ----------------------------------------------------------------------------


def test_a_plain_prompt_is_one_user_turn_with_the_default_max_tokens() -> None:
    body, dropped = translate(user("Hi"))
    assert body == {
        "model": "claude-haiku-4-5",
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }
    assert dropped == []


def test_system_and_developer_messages_become_the_top_level_system_in_order() -> None:
    body, _ = translate(
        ChatMessage(role="system", content="Be brief."),
        user("Hi"),
        ChatMessage(role="developer", content=[ContentPart(type="text", text="Use French.")]),
    )
    assert body["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Use French."},
    ]
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_consecutive_same_role_turns_are_merged() -> None:
    body, _ = translate(
        user("one"), user("two"), ChatMessage(role="assistant", content="three"), user("four")
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "three"}]},
        {"role": "user", "content": [{"type": "text", "text": "four"}]},
    ]


def test_empty_text_is_left_out_and_empty_turns_vanish() -> None:
    body, _ = translate(
        user("Weather?"),
        ChatMessage(role="assistant", content="", tool_calls=[tool_call("call_1")]),
        ChatMessage(role="tool", tool_call_id="call_1", content="18C"),
        user(""),
        tools=[WEATHER],
    )
    assert [block["type"] for block in body["messages"][1]["content"]] == ["tool_use"]
    assert len(body["messages"]) == 3


def test_tool_calls_and_consecutive_results_form_the_anthropic_turns() -> None:
    body, _ = translate(
        user("Weather in Paris and Rome?"),
        ChatMessage(
            role="assistant",
            content="Checking both.",
            tool_calls=[tool_call("call_1"), tool_call("call_2", '{"city":"Rome"}')],
        ),
        ChatMessage(role="tool", tool_call_id="call_1", content="18C"),
        ChatMessage(
            role="tool", tool_call_id="call_2", content=[ContentPart(type="text", text="21C")]
        ),
        user("Which is warmer?"),
        tools=[WEATHER],
    )
    assistant, results = body["messages"][1], body["messages"][2]
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking both."},
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Rome"}},
        ],
    }
    assert results == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
            {
                "type": "tool_result",
                "tool_use_id": "call_2",
                "content": [{"type": "text", "text": "21C"}],
            },
            {"type": "text", "text": "Which is warmer?"},
        ],
    }
    assert len(body["messages"]) == 3


def test_tool_results_come_first_in_their_turn() -> None:
    body, _ = translate(
        user("Weather?"),
        ChatMessage(role="assistant", tool_calls=[tool_call("call_1")]),
        user("(also, be quick)"),
        ChatMessage(role="tool", tool_call_id="call_1", content="18C"),
        tools=[WEATHER],
    )
    assert [block["type"] for block in body["messages"][2]["content"]] == ["tool_result", "text"]


def test_empty_arguments_are_an_empty_input_and_bad_ones_are_refused() -> None:
    body, _ = translate(
        user("Hi"), ChatMessage(role="assistant", tool_calls=[tool_call("call_1", "")])
    )
    assert body["messages"][1]["content"][0]["input"] == {}
    error = refused(
        user("Hi"), ChatMessage(role="assistant", tool_calls=[tool_call("call_1", '["Paris"]')])
    )
    assert "not a JSON object" in error.message
    refused(user("Hi"), ChatMessage(role="assistant", tool_calls=[tool_call("call_1", "{oops")]))


def test_foreign_tool_call_ids_are_rewritten_the_same_way_in_call_and_result() -> None:
    foreign = "tooluse.abc:1"
    body, _ = translate(
        user("Weather?"),
        ChatMessage(role="assistant", tool_calls=[tool_call(foreign)]),
        ChatMessage(role="tool", tool_call_id=foreign, content="18C"),
        tools=[WEATHER],
    )
    sent_call = body["messages"][1]["content"][0]["id"]
    sent_result = body["messages"][2]["content"][0]["tool_use_id"]
    assert sent_call == sent_result == tool_use_id(foreign)
    assert sent_call.startswith("tooluse_abc_1_")
    # Two ids that differ only in a refused character stay two ids.
    assert tool_use_id("a.b") != tool_use_id("a:b")
    assert tool_use_id("call_1") == "call_1"


def test_images_from_data_urls_and_web_urls() -> None:
    body, dropped = translate(
        user(
            [
                ContentPart(type="text", text="Compare these."),
                ContentPart(type="image_url", image_url={"url": "data:image/webp;base64,UklGRg=="}),
                ContentPart(
                    type="image_url",
                    image_url={"url": "https://example.com/cat.jpg", "detail": "high"},
                ),
            ]
        )
    )
    assert body["messages"][0]["content"][1:] == [
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/webp", "data": "UklGRg=="},
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]
    assert dropped == ["messages[].content[].image_url.detail"]


def test_unsupported_images_and_content_are_refused() -> None:
    refused(user([ContentPart(type="image_url", image_url={"url": "data:image/bmp;base64,Qk0="})]))
    refused(user([ContentPart(type="image_url", image_url={"url": "ftp://example.com/x.png"})]))
    error = refused(
        user([ContentPart(type="input_audio", input_audio={"data": "UklGRg==", "format": "wav"})])
    )
    assert "input_audio" in error.message
    refused(user([ContentPart(type="file", file={"file_id": "file-abc"})]))
    refused(
        ChatMessage(role="system", content=[ContentPart(type="image_url", image_url={"url": "x"})])
    )
    refused(ChatMessage(role="function", name="f", content="x"))


def test_pdf_files_become_documents() -> None:
    body, _ = translate(
        user(
            [
                ContentPart(
                    type="file",
                    file={"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
                )
            ]
        )
    )
    assert body["messages"][0]["content"] == [
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
            "title": "a.pdf",
        }
    ]


def test_message_names_are_reported() -> None:
    _, dropped = translate(ChatMessage(role="user", content="Hi", name="alice"))
    assert dropped == ["messages[].name"]


# -- tools ---------------------------------------------------------------------------------------


def test_tools_become_input_schemas() -> None:
    bare = Tool(function=FunctionDefinition(name="now", strict=True))
    body, _ = translate(user("Hi"), tools=[WEATHER, bare])
    assert body["tools"] == [
        {
            "name": "get_weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            "description": "The weather in a city.",
        },
        {"name": "now", "input_schema": {"type": "object", "properties": {}}, "strict": True},
    ]


@pytest.mark.parametrize(
    ("choice", "parallel", "native"),
    [
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            None,
            {"type": "tool", "name": "get_weather"},
        ),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        (None, True, None),
    ],
)
def test_tool_choice_and_parallel_tool_calls(
    choice: Any, parallel: bool | None, native: dict[str, Any] | None
) -> None:
    fields: dict[str, Any] = {"tools": [WEATHER]}
    if choice is not None:
        fields["tool_choice"] = choice
    if parallel is not None:
        fields["parallel_tool_calls"] = parallel
    body, dropped = translate(user("Hi"), **fields)
    assert body.get("tool_choice") == native
    assert dropped == []


def test_tool_choices_without_an_equivalent_or_without_tools_are_reported() -> None:
    allowed = {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}
    body, dropped = translate(user("Hi"), tools=[WEATHER], tool_choice=allowed)
    assert "tool_choice" not in body and dropped == ["tool_choice"]
    body, dropped = translate(user("Hi"), tool_choice="required", parallel_tool_calls=False)
    assert "tool_choice" not in body and "tools" not in body
    assert dropped == ["tool_choice", "parallel_tool_calls"]


# -- parameters ----------------------------------------------------------------------------------


def test_max_tokens_prefers_max_completion_tokens() -> None:
    body, _ = translate(user("Hi"), max_tokens=100, max_completion_tokens=200)
    assert body["max_tokens"] == 200
    body, _ = translate(user("Hi"), max_tokens=100)
    assert body["max_tokens"] == 100
    body, _ = translate(user("Hi"), settings=AnthropicSettings(default_max_tokens=321))
    assert body["max_tokens"] == 321


def test_stop_becomes_stop_sequences() -> None:
    assert translate(user("Hi"), stop="END")[0]["stop_sequences"] == ["END"]
    assert translate(user("Hi"), stop=["A", "B"])[0]["stop_sequences"] == ["A", "B"]
    assert "stop_sequences" not in translate(user("Hi"), stop=[])[0]


def test_sampling_is_dropped_under_the_current_api_version() -> None:
    body, dropped = translate(user("Hi"), temperature=0.2, top_p=0.9)
    assert "temperature" not in body and "top_p" not in body
    assert dropped == ["temperature", "top_p"]


def test_sampling_is_sent_under_2023_06_01_within_anthropics_range() -> None:
    old = AnthropicSettings(api_version="2023-06-01")
    body, dropped = translate(user("Hi"), settings=old, temperature=1.7, top_p=0.9)
    assert (body["temperature"], body["top_p"], dropped) == (1.0, 0.9, [])
    assert accepts_sampling("2023-06-01") and not accepts_sampling("2026-10-21")


def test_json_schema_becomes_output_config_and_json_object_is_dropped() -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    body, dropped = translate(
        user("Hi"),
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
        reasoning_effort="high",
    )
    assert body["output_config"] == {
        "effort": "high",
        "format": {"type": "json_schema", "schema": schema},
    }
    assert dropped == []
    body, dropped = translate(user("Hi"), response_format={"type": "json_object"})
    assert "output_config" not in body and dropped == ["response_format"]
    body, dropped = translate(
        user("Hi"), response_format={"type": "text"}, reasoning_effort="minimal"
    )
    assert "output_config" not in body and dropped == ["reasoning_effort"]


def test_user_service_tier_and_metadata() -> None:
    body, dropped = translate(
        user("Hi"), user="end-user-7", service_tier="default", metadata={"a": "b"}
    )
    assert body["metadata"] == {"user_id": "end-user-7"}
    assert body["service_tier"] == "standard_only"
    assert dropped == ["metadata"]
    body, dropped = translate(user("Hi"), service_tier="flex")
    assert "service_tier" not in body and dropped == ["service_tier"]


def test_parameters_anthropic_lacks_are_reported_unless_they_ask_for_nothing() -> None:
    _, dropped = translate(
        user("Hi"),
        n=2,
        seed=7,
        presence_penalty=0.5,
        frequency_penalty=0.1,
        logit_bias={"50256": -100},
        logprobs=True,
        top_logprobs=3,
    )
    assert dropped == [
        "n",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
    ]
    _, dropped = translate(
        user("Hi"), n=1, presence_penalty=0, frequency_penalty=0.0, logprobs=False, logit_bias={}
    )
    assert dropped == []
