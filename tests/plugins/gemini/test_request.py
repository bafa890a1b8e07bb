"""OpenAI-shaped requests become the generateContent bodies Gemini documents."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.dataplane.openai_types import (
    ChatMessage,
    ContentPart,
    FunctionCall,
    FunctionDefinition,
    Tool,
    ToolCall,
)
from switchboard.interfaces.provider import ProviderError
from switchboard.testing.conformance import TINY_PNG_DATA_URL
from switchboard_gemini.ids import join_call_id
from switchboard_gemini.request import model_path
from tests.plugins.gemini.support import chat_call, native

PNG_BASE64 = TINY_PNG_DATA_URL.removeprefix("data:image/png;base64,")


def user(content: Any) -> ChatMessage:
    return ChatMessage(role="user", content=content)


def calls(*pairs: tuple[str, str, str]) -> ChatMessage:
    """An assistant message calling ``(id, name, arguments)`` tools."""
    return ChatMessage(
        role="assistant",
        content="",
        tool_calls=[
            ToolCall(id=i, type="function", function=FunctionCall(name=n, arguments=a))
            for i, n, a in pairs
        ],
    )


def tool(call_id: str, content: Any) -> ChatMessage:
    return ChatMessage(role="tool", tool_call_id=call_id, content=content)


def tool_def(name: str, **fields: Any) -> Tool:
    return Tool(function=FunctionDefinition(name=name, **fields))


# -- turns ---------------------------------------------------------------------------------


def test_system_and_developer_messages_become_the_system_instruction() -> None:
    body = native(
        chat_call(
            ChatMessage(role="system", content="Be brief."),
            user("Hi"),
            ChatMessage(role="developer", content=[ContentPart(type="text", text="No emoji.")]),
        )
    )
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}, {"text": "No emoji."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Hi"}]}]


def test_roles_map_and_consecutive_turns_of_one_role_merge() -> None:
    body = native(
        chat_call(
            user("One"),
            user([ContentPart(type="text", text="Two")]),
            ChatMessage(role="assistant", content="Three"),
            ChatMessage(role="assistant", content=""),
            user(""),
            user("Four"),
        )
    )
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "One"}, {"text": "Two"}]},
        {"role": "model", "parts": [{"text": "Three"}]},
        {"role": "user", "parts": [{"text": "Four"}]},
    ]
    assert "systemInstruction" not in body
    assert "generationConfig" not in body


def test_tool_calls_and_results_pair_up_by_name_in_one_turn_each() -> None:
    body = native(
        chat_call(
            user("Weather in Paris and Rome?"),
            calls(
                ("call_a", "get_weather", '{"city": "Paris"}'),
                ("call_b", "get_time", '{"city": "Rome"}'),
            ),
            tool("call_a", "18C"),
            tool("call_b", [ContentPart(type="text", text="9:00")]),
        )
    )
    model_turn, results = body["contents"][1:]
    assert model_turn == {
        "role": "model",
        "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_a"}},
            {"functionCall": {"name": "get_time", "args": {"city": "Rome"}, "id": "call_b"}},
        ],
    }
    assert results == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "get_weather",
                    "response": {"output": "18C"},
                    "id": "call_a",
                }
            },
            {
                "functionResponse": {
                    "name": "get_time",
                    "response": {"output": "9:00"},
                    "id": "call_b",
                }
            },
        ],
    }


def test_a_repeated_call_id_names_the_latest_call() -> None:
    body = native(
        chat_call(
            user("?"),
            calls(("call_0", "first", "{}")),
            tool("call_0", "1"),
            calls(("call_0", "second", "")),
            tool("call_0", "2"),
        )
    )
    responses = [
        part["functionResponse"]["name"]
        for content in body["contents"]
        for part in content["parts"]
        if "functionResponse" in part
    ]
    assert responses == ["first", "second"]
    assert body["contents"][3]["parts"][0]["functionCall"]["args"] == {}


def test_a_thought_signature_in_the_call_id_goes_back_beside_the_call() -> None:
    signature = "Ci+/AB=="
    call_id = join_call_id(0, None, signature)
    body = native(chat_call(user("?"), calls((call_id, "f", "{}")), tool(call_id, "ok")))
    (call_part,) = body["contents"][1]["parts"]
    assert call_part["thoughtSignature"] == signature
    assert call_part["functionCall"]["id"] == "call_0"
    assert body["contents"][2]["parts"][0]["functionResponse"]["id"] == "call_0"


def test_the_deprecated_function_role_names_its_function() -> None:
    body = native(
        chat_call(
            user("?"),
            ChatMessage(role="assistant", content="Let me look."),
            ChatMessage(role="function", name="lookup", content="42"),
        )
    )
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"name": "lookup", "response": {"output": "42"}}}
    ]


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([user("?"), tool("call_x", "18C")], "no earlier assistant tool call has the id 'call_x'"),
        ([user("?"), calls(("c", "f", "{oops"))], "are not a JSON object"),
        ([user("?"), calls(("c", "f", "[1, 2]"))], "are not a JSON object"),
        ([user("?"), ChatMessage(role="function", content="42")], "has no name"),
    ],
)
def test_requests_gemini_cannot_express_are_bad_requests(
    messages: list[ChatMessage], fragment: str
) -> None:
    with pytest.raises(ProviderError) as failed:
        native(chat_call(*messages))
    assert (failed.value.error_class, failed.value.status) == ("bad_request", 400)
    assert fragment in failed.value.message
    assert failed.value.message.startswith("gemini: ")


# -- media ---------------------------------------------------------------------------------


def test_media_parts() -> None:
    files_uri = "https://generativelanguage.googleapis.com/v1beta/files/abc-123"
    call = chat_call(
        user(
            [
                ContentPart(type="text", text="Look:"),
                ContentPart(
                    type="image_url", image_url={"url": TINY_PNG_DATA_URL, "detail": "auto"}
                ),
                ContentPart(type="image_url", image_url={"url": files_uri}),
                ContentPart(type="input_audio", input_audio={"data": "UklGRg==", "format": "wav"}),
                ContentPart(
                    type="file",
                    file={"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
                ),
            ]
        )
    )
    assert native(call)["contents"][0]["parts"] == [
        {"text": "Look:"},
        {"inlineData": {"mimeType": "image/png", "data": PNG_BASE64}},
        {"fileData": {"fileUri": files_uri}},
        {"inlineData": {"mimeType": "audio/wav", "data": "UklGRg=="}},
        {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0="}},
    ]
    assert call.dropped_params == []


def test_files_under_the_connections_base_url_are_file_data() -> None:
    uri = "http://127.0.0.1:9/v1beta/files/xyz"
    call = chat_call(
        user([ContentPart(type="image_url", image_url={"url": uri})]),
        base_url="http://127.0.0.1:9/v1beta/",
    )
    assert native(call)["contents"][0]["parts"] == [{"fileData": {"fileUri": uri}}]


def test_media_gemini_cannot_read_is_dropped_and_reported() -> None:
    call = chat_call(
        user(
            [
                ContentPart(type="text", text="What is this?"),
                ContentPart(type="image_url", image_url={"url": "https://example.com/cat.png"}),
                ContentPart(
                    type="image_url", image_url={"url": TINY_PNG_DATA_URL, "detail": "high"}
                ),
                ContentPart(type="file", file={"file_id": "file-abc"}),
                ContentPart(type="input_audio", input_audio={"data": "x", "format": "flac"}),
            ]
        ),
        ChatMessage(role="system", content=[ContentPart(type="image_url", image_url={})]),
    )
    parts = native(call)["contents"][0]["parts"]
    assert [next(iter(p)) for p in parts] == ["text", "inlineData"]
    assert call.dropped_params == ["image_url", "image_url.detail", "file", "input_audio"]


# -- tools ---------------------------------------------------------------------------------


def test_tools_are_function_declarations_with_json_schema() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    call = chat_call(
        user("?"),
        tools=[
            tool_def("get_weather", description="Weather.", parameters=schema, strict=True),
            tool_def("now"),
        ],
    )
    body = native(call)
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {"name": "get_weather", "description": "Weather.", "parametersJsonSchema": schema},
                {"name": "now"},
            ]
        }
    ]
    assert "toolConfig" not in body
    assert call.dropped_params == ["tools.function.strict"]


@pytest.mark.parametrize(
    ("choice", "config", "declared"),
    [
        ("auto", {"mode": "AUTO"}, ["a", "b"]),
        ("none", {"mode": "NONE"}, ["a", "b"]),
        ("required", {"mode": "ANY"}, ["a", "b"]),
        (
            {"type": "function", "function": {"name": "b"}},
            {"mode": "ANY", "allowedFunctionNames": ["b"]},
            ["a", "b"],
        ),
        (
            {
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "required",
                    "tools": [{"type": "function", "function": {"name": "a"}}],
                },
            },
            {"mode": "ANY", "allowedFunctionNames": ["a"]},
            ["a", "b"],
        ),
        (
            {
                "type": "allowed_tools",
                "allowed_tools": {
                    "mode": "auto",
                    "tools": [{"type": "function", "function": {"name": "a"}}],
                },
            },
            {"mode": "AUTO"},
            ["a"],
        ),
    ],
)
def test_tool_choice(choice: Any, config: dict[str, Any], declared: list[str]) -> None:
    call = chat_call(user("?"), tools=[tool_def("a"), tool_def("b")], tool_choice=choice)
    body = native(call)
    assert body["toolConfig"] == {"functionCallingConfig": config}
    assert [d["name"] for d in body["tools"][0]["functionDeclarations"]] == declared
    assert call.dropped_params == []


def test_an_unknown_tool_choice_is_reported() -> None:
    call = chat_call(
        user("?"), tools=[tool_def("a")], tool_choice={"type": "custom", "custom": {"name": "x"}}
    )
    assert "toolConfig" not in native(call)
    assert call.dropped_params == ["tool_choice"]


def test_a_tool_choice_without_tools() -> None:
    assert chat_call(user("?"), tool_choice="none").dropped_params == []
    call = chat_call(user("?"), tool_choice="required")
    body = native(call)
    assert "tools" not in body and "toolConfig" not in body
    assert call.dropped_params == ["tool_choice"]


# -- generation config ---------------------------------------------------------------------


def test_generation_config() -> None:
    call = chat_call(
        user("?"),
        max_tokens=99,
        max_completion_tokens=50,
        temperature=0.2,
        top_p=1,
        stop="END",
        n=2,
        seed=7,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        stream_options={"include_usage": False},
    )
    assert native(call)["generationConfig"] == {
        "maxOutputTokens": 50,
        "temperature": 0.2,
        "topP": 1.0,
        "stopSequences": ["END"],
        "candidateCount": 2,
        "seed": 7,
        "presencePenalty": 0.5,
        "frequencyPenalty": -0.5,
    }
    assert call.dropped_params == []


@pytest.mark.parametrize(
    ("response_format", "config"),
    [
        ({"type": "text"}, None),
        ({"type": "json_object"}, {"responseMimeType": "application/json"}),
        (
            {
                "type": "json_schema",
                "json_schema": {"name": "a", "schema": {"type": "object"}, "strict": True},
            },
            {"responseMimeType": "application/json", "responseJsonSchema": {"type": "object"}},
        ),
    ],
)
def test_response_format(response_format: dict[str, Any], config: dict[str, Any] | None) -> None:
    call = chat_call(user("?"), response_format=response_format)
    assert native(call).get("generationConfig") == config
    assert call.dropped_params == []


def test_parameters_without_a_gemini_counterpart_are_reported() -> None:
    call = chat_call(
        ChatMessage(role="user", content="?", name="alice"),
        tools=[tool_def("a")],
        parallel_tool_calls=False,
        logit_bias={"1": 1},
        logprobs=True,
        top_logprobs=2,
        reasoning_effort="low",
        service_tier="flex",
        metadata={"k": "v"},
        user="u-1",
        response_format={"type": "xml"},
    )
    native(call)
    assert sorted(call.dropped_params) == sorted(
        [
            "messages.name",
            "parallel_tool_calls",
            "logprobs",
            "top_logprobs",
            "logit_bias",
            "reasoning_effort",
            "service_tier",
            "metadata",
            "user",
            "response_format",
        ]
    )


def test_explicit_nulls_and_defaults_are_not_reported() -> None:
    call = chat_call(
        user("?"),
        parallel_tool_calls=True,
        logprobs=False,
        logit_bias=None,
        reasoning_effort=None,
        temperature=None,
        stop=None,
    )
    assert "generationConfig" not in native(call)
    assert call.dropped_params == []


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "models/gemini-2.5-flash"),
        ("tunedModels/my-model-1", "tunedModels/my-model-1"),
        ("odd name", "models/odd%20name"),
    ],
)
def test_model_path(model: str, path: str) -> None:
    assert model_path(model) == path


def test_a_tool_call_without_a_name_is_a_bad_request() -> None:
    nameless = ChatMessage(
        role="assistant", tool_calls=[ToolCall(id="c", type="function", function=FunctionCall())]
    )
    with pytest.raises(ProviderError, match="has a tool call without a name"):
        native(chat_call(user("?"), nameless))
