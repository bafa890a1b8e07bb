"""OpenAI chat requests become the Converse bodies Bedrock expects, and what cannot is reported."""

from __future__ import annotations

import base64
import json
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
from switchboard.testing.conformance import TINY_PNG_DATA_URL
from switchboard_bedrock.request import converse_request, tool_use_id

WEATHER = Tool(
    function=FunctionDefinition(
        name="get_weather",
        description="The weather in a city.",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
        strict=True,
    )
)


def make_call(*messages: ChatMessage, **fields: Any) -> ProviderCall:
    return ProviderCall(
        request_id="r",
        connection_id="c",
        connection_name="bedrock",
        model="anthropic.claude-3-5-haiku-20241022-v1:0",
        request=ChatCompletionRequest(model="chat", messages=list(messages), **fields),
        settings=None,
        credentials=None,
    )


def translate(*messages: ChatMessage, **fields: Any) -> tuple[dict[str, Any], list[str]]:
    """The Converse body as JSON, and the parameters reported as dropped."""
    call = make_call(*messages, **fields)
    body: dict[str, Any] = json.loads(msgspec.json.encode(converse_request(call)))
    return body, call.dropped_params


def user(content: str | list[ContentPart]) -> ChatMessage:
    return ChatMessage(role="user", content=content)


def calls(*ids: str) -> ChatMessage:
    return ChatMessage(
        role="assistant",
        content="",
        tool_calls=[
            ToolCall(
                id=call_id,
                type="function",
                function=FunctionCall(name="get_weather", arguments='{"city": "Paris"}'),
            )
            for call_id in ids
        ],
    )


def result(call_id: str, text: str) -> ChatMessage:
    return ChatMessage(role="tool", tool_call_id=call_id, content=text)


# -- turns -------------------------------------------------------------------------------------


def test_system_and_developer_messages_become_the_top_level_system() -> None:
    body, dropped = translate(
        ChatMessage(role="system", content="Be brief."),
        user("Hi"),
        ChatMessage(role="developer", content=[ContentPart(type="text", text="Use French.")]),
    )
    assert body["system"] == [{"text": "Be brief."}, {"text": "Use French."}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Hi"}]}]
    assert dropped == []


def test_same_role_turns_are_merged_so_turns_alternate() -> None:
    body, _ = translate(user("one"), user("two"), ChatMessage(role="assistant", content="ok"))
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "one"}, {"text": "two"}]},
        {"role": "assistant", "content": [{"text": "ok"}]},
    ]


def test_tool_calls_and_their_results() -> None:
    body, _ = translate(
        user("Weather in Paris and Rome?"),
        calls("call_1", "call_2"),
        result("call_1", "18C"),
        result("call_2", "21C"),
        user("Thanks. And tomorrow?"),
        tools=[WEATHER],
    )
    assistant, results = body["messages"][1:]
    # The blank text next to the calls is left out: Bedrock refuses blank text blocks.
    assert assistant == {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {"city": "Paris"}}},
        ],
    }
    # Consecutive tool messages and the next user message make one user turn.
    assert results == {
        "role": "user",
        "content": [
            {
                "toolResult": {
                    "toolUseId": "call_1",
                    "content": [{"text": "18C"}],
                    "status": "success",
                }
            },
            {
                "toolResult": {
                    "toolUseId": "call_2",
                    "content": [{"text": "21C"}],
                    "status": "success",
                }
            },
            {"text": "Thanks. And tomorrow?"},
        ],
    }


def test_foreign_tool_call_ids_are_rewritten_the_same_for_call_and_result() -> None:
    foreign = "functions.get_weather:0 / with spaces"
    body, _ = translate(user("Weather?"), calls(foreign), result(foreign, "18C"), tools=[WEATHER])
    use = body["messages"][1]["content"][0]["toolUse"]["toolUseId"]
    assert use == body["messages"][2]["content"][0]["toolResult"]["toolUseId"]
    assert use == tool_use_id(foreign) != foreign
    assert use.startswith("tooluse_") and len(use) <= 64
    assert tool_use_id("tooluse_abc.1:2-x") == "tooluse_abc.1:2-x"


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object")],
)
def test_unusable_tool_call_arguments_are_the_callers_error(arguments: str, problem: str) -> None:
    broken = ChatMessage(
        role="assistant",
        tool_calls=[ToolCall(id="c1", function=FunctionCall(name="f", arguments=arguments))],
    )
    with pytest.raises(ProviderError, match=problem) as failed:
        translate(user("x"), broken)
    assert (failed.value.error_class, failed.value.status) == ("bad_request", 400)


def test_empty_arguments_are_an_empty_object() -> None:
    no_arguments = ChatMessage(
        role="assistant",
        tool_calls=[ToolCall(id="c1", function=FunctionCall(name="now", arguments=""))],
    )
    body, _ = translate(user("time?"), no_arguments, result("c1", "noon"))
    assert body["messages"][1]["content"][0]["toolUse"]["input"] == {}


# -- images and other parts --------------------------------------------------------------------


def image(url: str, **extra: str) -> ContentPart:
    return ContentPart(type="image_url", image_url={"url": url, **extra})


def test_data_url_images_are_sent_as_bytes() -> None:
    body, dropped = translate(
        user([ContentPart(type="text", text="What is this?"), image(TINY_PNG_DATA_URL)])
    )
    text, picture = body["messages"][0]["content"]
    assert text == {"text": "What is this?"}
    assert picture["image"]["format"] == "png"
    assert picture["image"]["source"]["bytes"] == TINY_PNG_DATA_URL.split(",", 1)[1]
    assert dropped == []


def test_jpg_and_percent_encoded_data_urls() -> None:
    body, _ = translate(user([image("data:image/jpg,%FF%D8%FF")]))
    picture = body["messages"][0]["content"][0]["image"]
    assert picture["format"] == "jpeg"
    assert base64.b64decode(picture["source"]["bytes"]) == b"\xff\xd8\xff"


def test_images_bedrock_cannot_take_are_reported() -> None:
    body, dropped = translate(
        user(
            [
                ContentPart(type="text", text="Compare"),
                image("https://example.com/cat.png"),
                image("data:image/bmp;base64,Qk0="),
                image(TINY_PNG_DATA_URL, detail="high"),
            ]
        )
    )
    assert [next(iter(block)) for block in body["messages"][0]["content"]] == ["text", "image"]
    assert dropped == ["messages.content.image_url", "messages.content.image_url.detail"]


def test_a_broken_base64_image_is_the_callers_error() -> None:
    with pytest.raises(ProviderError, match="not valid base64"):
        translate(user([image("data:image/png;base64,@@@")]))


def test_audio_files_names_and_the_function_role_are_reported() -> None:
    _, dropped = translate(
        ChatMessage(
            role="user",
            name="ann",
            content=[
                ContentPart(type="text", text="Listen"),
                ContentPart(type="input_audio", input_audio={"data": "AAAA", "format": "wav"}),
                ContentPart(type="file", file={"file_id": "file-1"}),
            ],
        ),
        ChatMessage(role="function", name="f", content="42"),
    )
    assert dropped == [
        "messages.name",
        "messages.content.input_audio",
        "messages.content.file",
        "messages.function",
    ]


# -- tools -------------------------------------------------------------------------------------


def test_tools_become_tool_specs() -> None:
    bare = Tool(function=FunctionDefinition(name="now", description=""))
    body, _ = translate(user("Weather?"), tools=[WEATHER, bare])
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "inputSchema": {
                        "json": {"type": "object", "properties": {"city": {"type": "string"}}}
                    },
                    "description": "The weather in a city.",
                    "strict": True,
                }
            },
            # No description (Bedrock refuses an empty one); an open schema when none is given.
            {
                "toolSpec": {
                    "name": "now",
                    "inputSchema": {"json": {"type": "object", "properties": {}}},
                }
            },
        ]
    }


@pytest.mark.parametrize(
    ("choice", "sent", "dropped"),
    [
        ("auto", None, []),
        ("required", {"any": {}}, []),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"tool": {"name": "get_weather"}},
            [],
        ),
        (
            {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}},
            None,
            ["tool_choice"],
        ),
    ],
)
def test_tool_choice(choice: Any, sent: dict[str, Any] | None, dropped: list[str]) -> None:
    body, reported = translate(user("Weather?"), tools=[WEATHER], tool_choice=choice)
    assert body["toolConfig"].get("toolChoice") == sent
    assert reported == dropped


def test_tool_choice_none_offers_no_tools() -> None:
    body, dropped = translate(user("Weather?"), tools=[WEATHER], tool_choice="none")
    assert "toolConfig" not in body
    assert dropped == []


def test_tool_choice_none_with_tool_history_keeps_the_tools_and_is_reported() -> None:
    body, dropped = translate(
        user("Weather?"), calls("c1"), result("c1", "18C"), tools=[WEATHER], tool_choice="none"
    )
    assert [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]] == ["get_weather"]
    assert "toolChoice" not in body["toolConfig"]
    assert dropped == ["tool_choice"]


def test_tool_history_without_tools_declares_the_tools_it_used() -> None:
    body, _ = translate(user("Weather?"), calls("c1"), result("c1", "18C"), user("So?"))
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "inputSchema": {"json": {"type": "object", "properties": {}}},
                }
            }
        ]
    }


def test_parallel_tool_calls_off_is_reported() -> None:
    _, dropped = translate(user("x"), tools=[WEATHER], parallel_tool_calls=False)
    assert dropped == ["parallel_tool_calls"]
    _, dropped = translate(user("x"), tools=[WEATHER], parallel_tool_calls=True)
    assert dropped == []


# -- options -----------------------------------------------------------------------------------


def test_inference_config() -> None:
    body, _ = translate(
        user("x"), max_tokens=10, max_completion_tokens=20, temperature=1.7, top_p=0.5, stop="END"
    )
    # max_completion_tokens wins; Bedrock's temperature range is 0-1.
    assert body["inferenceConfig"] == {
        "maxTokens": 20,
        "temperature": 1.0,
        "topP": 0.5,
        "stopSequences": ["END"],
    }
    body, _ = translate(user("x"), temperature=0, stop=["A", ""])
    assert body["inferenceConfig"] == {"temperature": 0.0, "stopSequences": ["A"]}
    body, _ = translate(user("x"))
    assert "inferenceConfig" not in body


def test_response_formats() -> None:
    body, dropped = translate(user("x"), response_format={"type": "json_object"})
    assert ("outputConfig" not in body, dropped) == (True, ["response_format"])
    body, dropped = translate(user("x"), response_format={"type": "text"})
    assert ("outputConfig" not in body, dropped) == (True, [])
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    body, dropped = translate(
        user("x"),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": schema, "strict": True},
        },
    )
    text_format = body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema"
    assert text_format["structure"]["jsonSchema"]["name"] == "answer"
    # Bedrock takes the schema as a JSON string, not an object.
    assert json.loads(text_format["structure"]["jsonSchema"]["schema"]) == schema
    assert dropped == []


def test_reasoning_effort_service_tier_and_metadata() -> None:
    body, dropped = translate(
        user("x"), reasoning_effort="high", service_tier="flex", metadata={"team": "search"}
    )
    assert body["outputConfig"] == {"effort": "high"}
    assert body["serviceTier"] == {"type": "flex"}
    assert body["requestMetadata"] == {"team": "search"}
    assert dropped == []
    body, dropped = translate(user("x"), reasoning_effort="minimal", service_tier="scale")
    assert ("outputConfig" not in body, "serviceTier" not in body) == (True, True)
    assert dropped == ["reasoning_effort", "service_tier"]
    body, dropped = translate(user("x"), service_tier="auto")
    assert ("serviceTier" not in body, dropped) == (True, [])


def test_parameters_without_an_equivalent_are_reported() -> None:
    _, dropped = translate(
        user("x"),
        logit_bias={"50256": -100},
        seed=7,
        presence_penalty=0.5,
        frequency_penalty=0.5,
        logprobs=True,
        top_logprobs=2,
        n=2,
        user="ann",
    )
    assert dropped == [
        "logit_bias",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logprobs",
        "top_logprobs",
        "n",
        "user",
    ]


def test_neutral_values_are_not_reported() -> None:
    _, dropped = translate(
        user("x"), presence_penalty=0, frequency_penalty=0.0, logprobs=False, n=1, logit_bias={}
    )
    assert dropped == []
