"""The gateway's OpenAI chat request as a Bedrock Converse request.

| OpenAI                                   | Converse                                           |
|------------------------------------------|----------------------------------------------------|
| ``system``/``developer`` messages        | top-level ``system[{text}]``, one block per text   |
| ``user`` text / ``image_url`` data URL   | ``text`` / ``image{format, source{bytes}}`` blocks |
| ``assistant`` text and ``tool_calls``    | ``text`` and ``toolUse{toolUseId, name, input}``   |
| ``tool`` messages                        | ``toolResult{toolUseId, content[{text}]}`` in a    |
|                                          | user turn (consecutive same-role turns merged)     |
| ``tools[].function``                     | ``toolConfig.tools[].toolSpec``                    |
| ``tool_choice`` auto / required / named  | (default) / ``{"any":{}}`` / ``{"tool":{name}}``   |
| ``tool_choice: "none"``                  | no ``toolConfig`` at all (with tool blocks in the  |
|                                          | history: tools kept, ``tool_choice`` dropped)      |
| ``max_completion_tokens``/``max_tokens`` | ``inferenceConfig.maxTokens``                      |
| ``temperature`` (0-2), ``top_p``         | ``temperature`` clamped to Bedrock's 0-1, ``topP`` |
| ``stop`` (string or list)                | ``inferenceConfig.stopSequences``                  |
| ``response_format`` json_schema          | ``outputConfig.textFormat`` (schema as a string)   |
| ``reasoning_effort`` low..xhigh          | ``outputConfig.effort``                            |
| ``service_tier`` default/flex/priority   | ``serviceTier.type`` (``auto``: Bedrock's default) |
| ``metadata``                             | ``requestMetadata``                                |

Reported as dropped (``call.drop``), because Converse has no equivalent:
``response_format`` json_object, ``logit_bias``, ``seed``, ``presence_penalty`` and
``frequency_penalty`` (non-zero), ``logprobs``/``top_logprobs``, ``n`` > 1,
``parallel_tool_calls: false``, ``user``, ``reasoning_effort`` minimal/none,
``service_tier`` scale, ``tool_choice`` none (with tool history), of another form, or
required/named without tools,
``messages.name``, ``messages.function`` (the deprecated role),
``messages.content.image_url`` (http URLs, which the gateway does not fetch, and formats
other than png/jpeg/gif/webp), ``messages.content.image_url.detail``,
``messages.content.input_audio``, ``messages.content.file``.

Bedrock refuses tool blocks without ``toolConfig``: when the history holds tool calls but
the request offers no tools, the tools the history used are declared (open schema). Blank
text blocks, which Bedrock refuses, are left out; tool-call ids outside Bedrock's
``[a-zA-Z0-9_.:-]{1,64}`` are rewritten by a hash, the same for a call and its result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any, Literal
from urllib.parse import unquote_to_bytes

from msgspec import UNSET

from switchboard.dataplane.openai_types import (
    ChatMessage,
    ContentPart,
    FunctionCall,
    FunctionDefinition,
    ToolCall,
)
from switchboard.interfaces.provider import ProviderCall
from switchboard_bedrock.errors import bad_request
from switchboard_bedrock.native import (
    ContentBlock,
    ConverseRequest,
    Empty,
    Image,
    ImageSource,
    InferenceConfig,
    JsonSchemaDefinition,
    Message,
    OutputConfig,
    OutputFormat,
    OutputFormatStructure,
    ServiceTier,
    SpecificTool,
    SystemBlock,
    ToolChoice,
    ToolConfig,
    ToolDefinition,
    ToolInputSchema,
    ToolResult,
    ToolResultContent,
    ToolSpec,
    ToolUse,
)

__all__ = ["converse_request", "tool_use_id"]

_IMAGE_FORMATS: dict[str, Literal["png", "jpeg", "gif", "webp"]] = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*),(?P<data>.*)$", re.S
)
_TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_.:-]{1,64}$")
_EFFORTS = frozenset({"low", "medium", "high", "xhigh"})
_SERVICE_TIERS = frozenset({"default", "flex", "priority"})
_OPEN_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def tool_use_id(call_id: str) -> str:
    """``call_id`` if Bedrock accepts it as a ``toolUseId``, else a stable rewrite of it."""
    if _TOOL_USE_ID.match(call_id):
        return call_id
    return "tooluse_" + hashlib.sha256(call_id.encode()).hexdigest()[:40]


def converse_request(call: ProviderCall) -> ConverseRequest:
    """The Converse body for ``call.request``; what cannot be sent is reported on ``call``."""
    request = call.request
    system, messages = _conversation(call)
    _drop_unsupported(call)
    metadata = request.metadata if isinstance(request.metadata, dict) else None
    return ConverseRequest(
        messages=messages,
        system=system or None,
        inference_config=_inference_config(call),
        tool_config=_tool_config(call, _history_tools(messages)),
        output_config=_output_config(call),
        service_tier=_service_tier(call),
        request_metadata=metadata or None,
    )


# -- messages -----------------------------------------------------------------------------------


def _conversation(call: ProviderCall) -> tuple[list[SystemBlock], list[Message]]:
    system: list[SystemBlock] = []
    turns: list[Message] = []
    for message in call.request.messages:
        if isinstance(message.name, str):
            call.drop("messages.name")
        if message.role in ("system", "developer"):
            system.extend(SystemBlock(text=t) for t in _texts(call, message.content))
        elif message.role == "user":
            _append(turns, "user", _user_blocks(call, message.content))
        elif message.role == "assistant":
            _append(turns, "assistant", _assistant_blocks(call, message))
        elif message.role == "tool":
            _append(turns, "user", [_tool_result(message)])
        else:
            call.drop("messages.function")
    return system, turns


def _append(
    turns: list[Message], role: Literal["user", "assistant"], blocks: list[ContentBlock]
) -> None:
    """Add a turn, merged into the previous one of the same role (Bedrock wants alternation)."""
    if not blocks:
        return
    if turns and turns[-1].role == role:
        turns[-1].content.extend(blocks)
    else:
        turns.append(Message(role=role, content=blocks))


def _texts(call: ProviderCall, content: str | list[ContentPart] | Any) -> list[str]:
    """The non-blank texts of a message's content; other parts are reported as dropped."""
    if isinstance(content, str):
        return [content] if content.strip() else []
    texts: list[str] = []
    for part in content if isinstance(content, list) else []:
        text = {"text": part.text, "refusal": part.refusal}.get(part.type)
        if isinstance(text, str):
            if text.strip():
                texts.append(text)
        else:
            call.drop(f"messages.content.{part.type}")
    return texts


def _user_blocks(call: ProviderCall, content: str | list[ContentPart] | Any) -> list[ContentBlock]:
    if not isinstance(content, list):
        return [ContentBlock(text=t) for t in _texts(call, content)]
    blocks: list[ContentBlock] = []
    for part in content:
        if part.type == "image_url":
            image = _image(call, part)
            if image is not None:
                blocks.append(ContentBlock(image=image))
        else:
            blocks.extend(ContentBlock(text=t) for t in _texts(call, [part]))
    return blocks


def _image(call: ProviderCall, part: ContentPart) -> Image | None:
    """A data URL as image bytes; anything else is reported and left out."""
    spec = part.image_url if isinstance(part.image_url, dict) else {}
    if spec.get("detail") not in (None, "auto"):
        call.drop("messages.content.image_url.detail")
    url = spec.get("url")
    found = _DATA_URL.match(url) if isinstance(url, str) else None
    image_format = _IMAGE_FORMATS.get((found["mime"] or "").lower()) if found else None
    if found is None or image_format is None:
        # Bedrock takes only bytes; fetching caller-supplied URLs is not this plugin's call.
        call.drop("messages.content.image_url")
        return None
    if ";base64" in found["params"].lower():
        try:
            data = base64.b64decode(found["data"], validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("an image data URL is not valid base64") from None
    else:
        data = unquote_to_bytes(found["data"])
    return Image(format=image_format, source=ImageSource(bytes=base64.b64encode(data).decode()))


def _assistant_blocks(call: ProviderCall, message: ChatMessage) -> list[ContentBlock]:
    blocks = [ContentBlock(text=t) for t in _texts(call, message.content)]
    for tool_call in message.tool_calls if isinstance(message.tool_calls, list) else []:
        blocks.append(ContentBlock(tool_use=_tool_use(tool_call)))
    return blocks


def _tool_use(tool_call: ToolCall) -> ToolUse:
    function = tool_call.function
    if not isinstance(function, FunctionCall):
        function = FunctionCall()
    name, arguments = function.name, function.arguments
    if not isinstance(tool_call.id, str) or not isinstance(name, str):
        raise bad_request("an assistant tool call needs an id and a function name")
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) and arguments.strip() else {}
    except json.JSONDecodeError:
        raise bad_request(
            f"the arguments of tool call {tool_call.id!r} are not valid JSON"
        ) from None
    if not isinstance(parsed, dict):
        raise bad_request(f"the arguments of tool call {tool_call.id!r} must be a JSON object")
    return ToolUse(tool_use_id=tool_use_id(tool_call.id), name=name, input=parsed)


def _tool_result(message: ChatMessage) -> ContentBlock:
    if not isinstance(message.tool_call_id, str):
        raise bad_request("a tool message needs a tool_call_id")
    content = message.content
    if isinstance(content, list):
        texts = [p.text for p in content if p.type == "text" and isinstance(p.text, str)]
    else:
        texts = [content] if isinstance(content, str) else []
    return ContentBlock(
        tool_result=ToolResult(
            tool_use_id=tool_use_id(message.tool_call_id),
            content=[ToolResultContent(text=t) for t in texts if t],
            status="success",
        )
    )


def _history_tools(messages: list[Message]) -> tuple[list[str], bool]:
    """Names of the tools the history called, and whether it holds any tool block."""
    names: list[str] = []
    has_blocks = False
    for message in messages:
        for block in message.content:
            if block.tool_use is not None:
                has_blocks = True
                if block.tool_use.name not in names:
                    names.append(block.tool_use.name)
            elif block.tool_result is not None:
                has_blocks = True
    return names, has_blocks


# -- tools and options --------------------------------------------------------------------------


def _tool_config(call: ProviderCall, history: tuple[list[str], bool]) -> ToolConfig | None:
    request = call.request
    used, has_tool_blocks = history
    offered = request.tools if isinstance(request.tools, list) else []
    tools = [_tool_definition(tool.function) for tool in offered]
    if request.parallel_tool_calls is False:
        call.drop("parallel_tool_calls")
    choice = request.tool_choice
    if choice == "none" and not has_tool_blocks:
        return None  # nothing offered: exactly what "none" asks for
    if not tools and has_tool_blocks:
        # Bedrock refuses tool blocks without toolConfig; declare what the history used.
        tools = [_tool_definition(FunctionDefinition(name=name)) for name in used]
    if not tools:
        if choice not in (UNSET, "auto", "none"):
            call.drop("tool_choice")
        return None
    return ToolConfig(tools=tools, tool_choice=_tool_choice(call, choice))


def _tool_definition(function: FunctionDefinition) -> ToolDefinition:
    description = function.description if isinstance(function.description, str) else None
    schema = function.parameters if isinstance(function.parameters, dict) else _OPEN_SCHEMA
    return ToolDefinition(
        tool_spec=ToolSpec(
            name=function.name,
            description=description or None,  # Bedrock refuses an empty description
            input_schema=ToolInputSchema(json=dict(schema)),
            strict=function.strict if isinstance(function.strict, bool) else None,
        )
    )


def _tool_choice(call: ProviderCall, choice: object) -> ToolChoice | None:
    if choice is UNSET or choice == "auto":
        return None  # Bedrock's default; not every model takes an explicit toolChoice
    if choice == "required":
        return ToolChoice(any=Empty())
    if isinstance(choice, dict) and choice.get("type") == "function":
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return ToolChoice(tool=SpecificTool(name=function["name"]))
    call.drop("tool_choice")  # "none" with tool history, allowed_tools, custom tools
    return None


def _inference_config(call: ProviderCall) -> InferenceConfig | None:
    request = call.request
    temperature = request.temperature if isinstance(request.temperature, float | int) else None
    stop = request.stop
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    config = InferenceConfig(
        max_tokens=request.expected_completion_tokens,
        # OpenAI allows 0-2, Bedrock 0-1: values above 1 ask for "most random", so 1.
        temperature=None if temperature is None else min(max(float(temperature), 0.0), 1.0),
        top_p=float(request.top_p) if isinstance(request.top_p, float | int) else None,
        stop_sequences=[s for s in stops if s] or None,
    )
    return config if config != InferenceConfig() else None


def _output_config(call: ProviderCall) -> OutputConfig | None:
    request = call.request
    text_format = None
    response_format = request.response_format
    if isinstance(response_format, dict) and response_format.get("type") != "text":
        spec = response_format.get("json_schema")
        kind = response_format.get("type")
        if kind == "json_schema" and isinstance(spec, dict) and "schema" in spec:
            text_format = OutputFormat(
                type="json_schema",
                structure=OutputFormatStructure(
                    json_schema=JsonSchemaDefinition(
                        schema=json.dumps(spec["schema"]),
                        name=spec.get("name") if isinstance(spec.get("name"), str) else None,
                        description=spec.get("description") or None,
                    )
                ),
            )
        else:
            call.drop("response_format")  # json_object: Converse has no JSON mode
    effort = request.reasoning_effort if isinstance(request.reasoning_effort, str) else None
    if effort is not None and effort not in _EFFORTS:
        call.drop("reasoning_effort")
        effort = None
    config = OutputConfig(text_format=text_format, effort=effort)
    return config if config != OutputConfig() else None


def _service_tier(call: ProviderCall) -> ServiceTier | None:
    tier = call.request.service_tier
    if not isinstance(tier, str) or tier == "auto":
        return None
    if tier in _SERVICE_TIERS:
        return ServiceTier(type=tier)
    call.drop("service_tier")
    return None


def _drop_unsupported(call: ProviderCall) -> None:
    """Report the parameters that change an answer and that Converse cannot carry."""
    request = call.request
    if request.logit_bias:
        call.drop("logit_bias")
    if isinstance(request.seed, int):
        call.drop("seed")
    if request.presence_penalty:
        call.drop("presence_penalty")
    if request.frequency_penalty:
        call.drop("frequency_penalty")
    if request.logprobs is True:
        call.drop("logprobs")
    if isinstance(request.top_logprobs, int):
        call.drop("top_logprobs")
    if isinstance(request.n, int) and request.n > 1:
        call.drop("n")
    if isinstance(request.user, str) and request.user:
        call.drop("user")
