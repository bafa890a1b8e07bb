"""The gateway's OpenAI-shaped request as an Anthropic Messages request.

================================  ==========================================================
OpenAI                            Anthropic
================================  ==========================================================
``system``/``developer`` msgs     top-level ``system`` text blocks, in order, wherever they were
``user`` text / ``image_url``     ``text`` / ``image`` blocks (data URL → ``base64`` source,
                                  http(s) URL → ``url`` source); ``detail`` dropped
``user`` ``file`` (PDF data URL)  ``document`` block with a ``base64`` source
``assistant`` content             ``text`` blocks (empty text left out: Anthropic refuses it)
``assistant`` ``tool_calls``      ``tool_use`` blocks; ``arguments`` (JSON string) → ``input``
``tool`` messages                 ``tool_result`` blocks of one ``user`` turn, before its text
consecutive same-role turns       merged into one turn
tool-call ids                     kept when they match ``^[A-Za-z0-9_-]+$``, else rewritten the
                                  same way in the call and its result
``tools``                         ``tools[{name, description, input_schema, strict}]``
``tool_choice``                   ``auto``→``auto``, ``required``→``any``, ``none``→``none``,
                                  named function→``{"type": "tool", "name"}``
``parallel_tool_calls: false``    ``tool_choice.disable_parallel_tool_use: true``
``max_completion_tokens``         ``max_tokens`` (then ``max_tokens``, then the connection's
                                  ``defaultMaxTokens``: Anthropic requires it)
``stop``                          ``stop_sequences``
``response_format`` json_schema   ``output_config.format {type: json_schema, schema}``
``reasoning_effort``              ``output_config.effort`` (low, medium, high, xhigh)
``service_tier``                  ``auto``→``auto``, ``default``→``standard_only``
``user``                          ``metadata.user_id``
``temperature`` / ``top_p``       sent only with API versions before 2026-10-21, which refuses
                                  them; ``temperature`` clamped to Anthropic's 0-1
``stream_options``                not needed: Anthropic streams always report usage
================================  ==========================================================

Dropped and reported (``call.drop``, returned in ``x-switchboard-dropped-params``):
``temperature``/``top_p`` under 2026-10-21, ``n`` > 1, ``seed``, ``presence_penalty`` and
``frequency_penalty`` (non-zero), ``logit_bias``, ``logprobs``/``top_logprobs``,
``response_format`` json_object (no JSON mode), ``metadata`` (Anthropic's holds only a user
id), ``reasoning_effort`` and ``service_tier`` values without an equivalent, ``tool_choice``
forms without one (``allowed_tools``, custom tools) or without tools, ``messages[].name``,
``messages[].content[].image_url.detail``.

Content that cannot be sent at all (audio, non-PDF files, file ids, the deprecated
``function`` role, tool-call arguments that are not a JSON object) is a ``bad_request``: a
prompt silently missing a part would get a wrong answer.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from switchboard.dataplane.openai_types import (
    ChatCompletionRequest,
    ChatMessage,
    ContentPart,
    FunctionCall,
    Tool,
    ToolCall,
)
from switchboard.interfaces.provider import ProviderCall, ProviderError
from switchboard_anthropic.config import AnthropicSettings
from switchboard_anthropic.wire import (
    Base64Source,
    DocumentBlock,
    ImageBlock,
    InputBlock,
    InputMessage,
    JsonSchemaFormat,
    MessagesRequest,
    Metadata,
    OutputConfig,
    TextBlock,
    ToolChoice,
    ToolDefinition,
    ToolResultBlock,
    ToolUseBlock,
    UrlSource,
)

__all__ = ["SAMPLING_REFUSED_SINCE", "accepts_sampling", "build_request", "tool_use_id"]

#: The first API version that answers 400 to ``temperature``, ``top_p`` and ``top_k``.
SAMPLING_REFUSED_SINCE = "2026-10-21"

_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_DATA_URL = re.compile(
    r"^data:(?P<media_type>[\w.+-]+/[\w.+-]+)(?:;[^,;]*)*;base64,(?P<data>.*)$", re.S
)
_NOT_IN_TOOL_ID = re.compile(r"[^A-Za-z0-9_-]")
_EFFORTS = frozenset({"low", "medium", "high", "xhigh"})
_SERVICE_TIERS = {"auto": "auto", "default": "standard_only"}

Content = str | list[ContentPart] | UnsetType | None


def accepts_sampling(api_version: str) -> bool:
    """Whether ``api_version`` still takes ``temperature`` and ``top_p``.

    Versions are ISO dates, so their string order is their time order.
    """
    return api_version < SAMPLING_REFUSED_SINCE


def tool_use_id(openai_id: str) -> str:
    """The id Anthropic accepts for an OpenAI tool-call id.

    Anthropic's ids match ``^[a-zA-Z0-9_-]+$``; ids from other providers may not. A foreign
    id is rewritten with a digest of the original, so the call and its result (translated
    separately) still agree and two ids never collapse into one.
    """
    if openai_id and not _NOT_IN_TOOL_ID.search(openai_id):
        return openai_id
    digest = hashlib.sha256(openai_id.encode()).hexdigest()[:12]
    return f"{_NOT_IN_TOOL_ID.sub('_', openai_id)}_{digest}"


def _refuse(message: str) -> ProviderError:
    return ProviderError(
        "bad_request",
        f"anthropic: {message}",
        status=400,
        error_type="invalid_request_error",
        param="messages",
    )


def build_request(call: ProviderCall, settings: AnthropicSettings) -> MessagesRequest:
    """The native request for ``call``; what cannot be sent is reported with ``call.drop``."""
    request = call.request
    system, messages = _conversation(call, request.messages)
    max_tokens = request.expected_completion_tokens
    native = MessagesRequest(
        model=call.model,
        max_tokens=settings.default_max_tokens if max_tokens is None else max_tokens,
        messages=messages,
        system=system or UNSET,
    )
    _tools(call, request, native)
    _sampling(call, request, settings, native)
    _output(call, request, native)
    if isinstance(request.stop, str):
        native.stop_sequences = [request.stop]
    elif request.stop:
        native.stop_sequences = list(request.stop)
    if request.user:
        native.metadata = Metadata(user_id=request.user)
    if request.metadata:
        call.drop("metadata")
    if isinstance(request.service_tier, str):
        if request.service_tier in _SERVICE_TIERS:
            native.service_tier = _SERVICE_TIERS[request.service_tier]
        else:
            call.drop("service_tier")
    _unsupported(call, request)
    return native


# -- the conversation ------------------------------------------------------------------------


def _conversation(
    call: ProviderCall, messages: list[ChatMessage]
) -> tuple[list[TextBlock], list[InputMessage]]:
    system: list[TextBlock] = []
    turns: list[InputMessage] = []
    for message in messages:
        role: Literal["user", "assistant"]
        if message.name:
            call.drop("messages[].name")
        if message.role in ("system", "developer"):
            system += _texts(message.content, message.role)
            continue
        if message.role == "user":
            role, blocks = "user", _user_blocks(call, message.content)
        elif message.role == "assistant":
            role, blocks = "assistant", _assistant_blocks(message)
        elif message.role == "tool":
            role, blocks = "user", [_tool_result(message)]
        else:
            raise _refuse("the deprecated 'function' role has no equivalent; use tool messages")
        if not blocks:
            continue
        if turns and turns[-1].role == role:
            turns[-1].content.extend(blocks)
        else:
            turns.append(InputMessage(role=role, content=blocks))
    for turn in turns:
        if turn.role == "user":
            # Anthropic wants the tool results first in the turn that follows the calls.
            turn.content.sort(key=lambda block: not isinstance(block, ToolResultBlock))
    return system, turns


def _texts(content: Content, role: str) -> list[TextBlock]:
    if not isinstance(content, str | list):
        return []
    if isinstance(content, str):
        return [TextBlock(text=content)] if content else []
    blocks = []
    for part in content:
        if part.type not in ("text", "refusal"):
            raise _refuse(f"a {role} message may only hold text, not {part.type!r} parts")
        text = part.text if part.type == "text" else part.refusal
        if isinstance(text, str) and text:
            blocks.append(TextBlock(text=text))
    return blocks


def _user_blocks(call: ProviderCall, content: Content) -> list[InputBlock]:
    if not isinstance(content, list):
        return list(_texts(content, "user"))
    blocks: list[InputBlock] = []
    for part in content:
        if part.type == "text":
            if isinstance(part.text, str) and part.text:
                blocks.append(TextBlock(text=part.text))
        elif part.type == "image_url" and isinstance(part.image_url, dict):
            blocks.append(_image(call, part.image_url))
        elif part.type == "file" and isinstance(part.file, dict):
            blocks.append(_document(part.file))
        else:
            raise _refuse(f"Anthropic does not accept {part.type!r} content")
    return blocks


def _image(call: ProviderCall, image_url: dict[str, Any]) -> ImageBlock:
    url = image_url.get("url")
    if image_url.get("detail") not in (None, "auto"):
        call.drop("messages[].content[].image_url.detail")
    if not isinstance(url, str):
        raise _refuse("an image_url part needs a url")
    if url.startswith(("http://", "https://")):
        return ImageBlock(source=UrlSource(url=url))
    inline = _DATA_URL.match(url)
    if inline is None:
        raise _refuse("an image must be an http(s) URL or a base64 data URL")
    if inline["media_type"] not in _IMAGE_TYPES:
        raise _refuse(f"Anthropic takes jpeg, png, gif or webp images, not {inline['media_type']}")
    return ImageBlock(source=Base64Source(media_type=inline["media_type"], data=inline["data"]))


def _document(file: dict[str, Any]) -> DocumentBlock:
    inline = _DATA_URL.match(str(file.get("file_data") or ""))
    if inline is None or inline["media_type"] != "application/pdf":
        raise _refuse("file parts must carry a PDF as a base64 data URL (file ids are OpenAI's)")
    title = file.get("filename")
    return DocumentBlock(
        source=Base64Source(media_type="application/pdf", data=inline["data"]),
        title=title if isinstance(title, str) and title else UNSET,
    )


def _assistant_blocks(message: ChatMessage) -> list[InputBlock]:
    blocks: list[InputBlock] = list(_texts(message.content, "assistant"))
    for tool_call in message.tool_calls or []:
        blocks.append(_tool_use(tool_call))
    return blocks


def _tool_use(tool_call: ToolCall) -> ToolUseBlock:
    function = tool_call.function
    if not isinstance(function, FunctionCall) or not isinstance(function.name, str):
        raise _refuse("an assistant tool call needs a function name")
    arguments = function.arguments if isinstance(function.arguments, str) else ""
    try:
        # Some models answer "" for a call without arguments; it means {}.
        parsed = msgspec.json.decode(arguments) if arguments.strip() else {}
    except msgspec.DecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise _refuse(f"the arguments of the call to {function.name!r} are not a JSON object")
    call_id = tool_call.id if isinstance(tool_call.id, str) else ""
    return ToolUseBlock(id=tool_use_id(call_id), name=function.name, input=parsed)


def _tool_result(message: ChatMessage) -> ToolResultBlock:
    if not isinstance(message.tool_call_id, str):
        raise _refuse("a tool message needs the tool_call_id it answers")
    result = ToolResultBlock(tool_use_id=tool_use_id(message.tool_call_id))
    if isinstance(message.content, str):
        result.content = message.content or UNSET
    else:
        result.content = _texts(message.content, "tool") or UNSET
    return result


# -- parameters ------------------------------------------------------------------------------


def _tools(call: ProviderCall, request: ChatCompletionRequest, native: MessagesRequest) -> None:
    tools = request.tools if isinstance(request.tools, list) else []
    if not tools:
        # Without tools, a tool choice or parallelism has nothing to apply to.
        if request.tool_choice is not UNSET:
            call.drop("tool_choice")
        if request.parallel_tool_calls is False:
            call.drop("parallel_tool_calls")
        return
    native.tools = [_tool(tool) for tool in tools]
    choice = _tool_choice(call, request.tool_choice) if request.tool_choice is not UNSET else None
    if request.parallel_tool_calls is False:
        choice = choice or ToolChoice(type="auto")
        if choice.type != "none":
            choice.disable_parallel_tool_use = True
    if choice is not None:
        native.tool_choice = choice


def _tool(tool: Tool) -> ToolDefinition:
    function = tool.function
    schema = function.parameters if isinstance(function.parameters, dict) else None
    return ToolDefinition(
        name=function.name,
        # Anthropic requires a schema; OpenAI lets a function without parameters omit it.
        input_schema=schema or {"type": "object", "properties": {}},
        description=function.description,
        strict=function.strict if isinstance(function.strict, bool) else UNSET,
    )


def _tool_choice(call: ProviderCall, choice: Any) -> ToolChoice | None:
    if choice in ("auto", "none"):
        return ToolChoice(type=choice)
    if choice == "required":
        return ToolChoice(type="any")
    if isinstance(choice, dict) and choice.get("type") == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str):
            return ToolChoice(type="tool", name=name)
    call.drop("tool_choice")
    return None


def _sampling(
    call: ProviderCall,
    request: ChatCompletionRequest,
    settings: AnthropicSettings,
    native: MessagesRequest,
) -> None:
    given = [p for p in ("temperature", "top_p") if isinstance(getattr(request, p), float | int)]
    if not accepts_sampling(settings.api_version):
        call.drop(*given)
        return
    if isinstance(request.temperature, float | int):
        # OpenAI's range is 0-2, Anthropic's 0-1: keep the intent, within Anthropic's bounds.
        native.temperature = min(max(float(request.temperature), 0.0), 1.0)
    if isinstance(request.top_p, float | int):
        native.top_p = float(request.top_p)


def _output(call: ProviderCall, request: ChatCompletionRequest, native: MessagesRequest) -> None:
    config = OutputConfig()
    response_format = request.response_format
    if isinstance(response_format, dict) and response_format.get("type") != "text":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if response_format.get("type") == "json_schema" and isinstance(schema, dict):
            config.format = JsonSchemaFormat(schema=schema)
        else:
            call.drop("response_format")
    if isinstance(request.reasoning_effort, str):
        if request.reasoning_effort in _EFFORTS:
            config.effort = request.reasoning_effort
        else:
            call.drop("reasoning_effort")
    if config.format is not UNSET or config.effort is not UNSET:
        native.output_config = config


def _unsupported(call: ProviderCall, request: ChatCompletionRequest) -> None:
    """Report what Anthropic has no way to do; values that ask for nothing are no news."""
    if isinstance(request.n, int) and request.n != 1:
        call.drop("n")
    if isinstance(request.seed, int):
        call.drop("seed")
    for penalty in ("presence_penalty", "frequency_penalty"):
        if getattr(request, penalty) not in (None, UNSET, 0):
            call.drop(penalty)
    if request.logit_bias:
        call.drop("logit_bias")
    if request.logprobs is True:
        call.drop("logprobs")
    if isinstance(request.top_logprobs, int):
        call.drop("top_logprobs")
