"""An Anthropic Messages request, as a client sends it, in the gateway's OpenAI shape.

=====================================  ==========================================================
Anthropic                              OpenAI
=====================================  ==========================================================
``system`` (string or text blocks)     a ``system`` message first (several blocks: text parts)
``role: system`` messages (SDK 2.x)    ``system`` messages where they stand
``user`` text / ``image`` blocks       ``text`` / ``image_url`` parts (a ``base64`` source
                                       becomes a data URL); one text block: a string
``document`` block                     base64 PDF → ``file`` part (``file_data`` data URL,
                                       ``title`` → ``filename``); plain text or string
                                       ``content`` source → ``text`` part; URL, file-id and
                                       block-content sources are dropped (reported)
``tool_result`` blocks                 ``tool`` messages, in order, before the user message
                                       holding the turn's other blocks; text → the tool
                                       message (one block: a string); images and PDFs →
                                       first parts of that user message (a tool message
                                       only takes text)
``assistant`` text blocks              ``content``, joined (``None`` when it only calls tools)
``tool_use`` blocks                    ``tool_calls`` (``input`` → JSON string ``arguments``),
                                       ids kept so results still match their calls
``thinking`` / ``redacted_thinking``   dropped (reported): OpenAI has no slot for them
``tools`` (client tools)               ``tools[{type: function, function{name, description,
                                       parameters ← input_schema, strict}}]``
server tools (``type: web_search_…``)  dropped, reported as ``tools[<name>]``
``tool_choice``                        ``auto``→``auto``, ``any``→``required``,
                                       ``none``→``none``, ``tool``→named function
``disable_parallel_tool_use: true``    ``parallel_tool_calls: false``
``max_tokens``                         ``max_tokens``
``stop_sequences``                     ``stop``
``temperature`` / ``top_p``            unchanged
``stream: true``                       ``stream: true`` and ``stream_options.include_usage``
``metadata.user_id``                   ``user``
``service_tier``                       ``auto``→``auto``, ``standard_only``→``default``
``output_config.effort``               ``reasoning_effort`` (low, medium, high, xhigh)
``output_config.format`` json_schema   ``response_format {type: json_schema, json_schema
                                       {name: "output", schema}}``
=====================================  ==========================================================

Dropped and reported (returned next to the request, for ``x-switchboard-dropped-params``):
``top_k``; ``thinking`` (unless ``disabled``); ``cache_control`` wherever it sits (top level,
``system[]``, ``messages[].content[]``, ``tools[]``: OpenAI-shaped providers cache by
themselves); text ``citations``; a ``tool_result``'s ``is_error: true`` (the result's text
usually says what failed); documents that cannot be inlined, document ``title`` (when not a
PDF), ``context`` and ``citations``; tool fields without an equivalent; ``effort`` and
``format`` values without one; ``tool_choice`` ``any``/``tool`` with no tool to apply to; and
every other field the API knows but OpenAI has no equivalent for (``container``,
``mcp_servers``, ``context_management``, ``speed``, ``inference_geo``, ...).

Blocks the translation cannot carry at all and Anthropic itself refuses (a ``tool_use`` in a
user turn, media or tool results in an assistant turn, a ``tool`` choice without a name, a
client tool without ``input_schema``) are a :class:`~switchboard.errors.BadRequest` naming
the field; so is a body that does not decode (:func:`decode_request`). Unknown block types
fail decoding: a prompt silently missing a part would get a wrong answer.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from msgspec import UNSET

from switchboard.dataplane.anthropic_format.shapes import (
    Base64Source,
    ContentSource,
    DocumentBlock,
    ImageBlock,
    InputBlock,
    InputMessage,
    MessagesRequest,
    PlainTextSource,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolChoice,
    ToolDefinition,
    ToolResultBlock,
    ToolResultContent,
    ToolUseBlock,
)
from switchboard.dataplane.openai_types import (
    ChatCompletionRequest,
    ChatMessage,
    ContentPart,
    FunctionCall,
    FunctionDefinition,
    StreamOptions,
    Tool,
    ToolCall,
)
from switchboard.errors import BadRequest

__all__ = ["decode_request", "to_openai"]

#: Top-level fields with no OpenAI equivalent, reported whenever they are given.
UNTRANSLATED_FIELDS = (
    "top_k",
    "cache_control",
    "container",
    "context_management",
    "mcp_servers",
    "inference_geo",
    "speed",
    "diagnostics",
    "user_profile_id",
    "workspace_id",
    "compaction",
    "fallbacks",
    "fallback_credit_token",
    "billing_policy",
    "thread",
)
_TOOL_FIELDS_DROPPED = (
    "cache_control",
    "input_examples",
    "defer_loading",
    "allowed_callers",
    "eager_input_streaming",
)
_BLOCK_TYPES = "text, image, document, tool_use, tool_result, thinking, redacted_thinking"
_RESULT_BLOCK_TYPES = "text, image, document"  # inside a tool_result
_EFFORTS = frozenset({"low", "medium", "high", "xhigh"})
_SERVICE_TIERS = {"auto": "auto", "standard_only": "default"}
_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_BLOCK_TYPE_PATH = re.compile(r"\.content\[\d+\]\.type$")


# -- decoding ----------------------------------------------------------------------------------


def decode_request(body: bytes) -> MessagesRequest:
    """The request in ``body``; a :class:`BadRequest` naming the field when it does not decode.

    The message never echoes a value of the body beyond an unknown ``type``/``role`` name.
    """
    try:
        return msgspec.json.decode(body, type=MessagesRequest)
    except msgspec.ValidationError as exc:
        raise _invalid(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


def _invalid(error: str) -> BadRequest:
    problem, _, path = error.partition(" - at `$")
    path = path.rstrip("`").removeprefix(".")
    missing = _MISSING_FIELD.match(problem)
    if missing:
        path = f"{path}.{missing['field']}" if path else missing["field"]
        problem = "this field is required"
    elif _BLOCK_TYPE_PATH.search(path) and problem.startswith("Invalid value"):
        kinds = _RESULT_BLOCK_TYPES if path.count(".content[") > 1 else _BLOCK_TYPES
        problem = f"{problem}; the gateway translates these block types: {kinds}"
    if not path:
        return BadRequest(f"the body must be a Messages request object: {problem}")
    return BadRequest(f"{path}: {problem}", param=path)


# -- translating -------------------------------------------------------------------------------


def to_openai(request: MessagesRequest) -> tuple[ChatCompletionRequest, list[str]]:
    """``request`` in the gateway's OpenAI shape, and the fields that could not be translated.

    The dropped fields are listed once each, in the order met, with ``[]`` for "any item"
    (``messages[].content[].cache_control``).
    """
    translation = _Translation()
    return translation.request(request), translation.dropped


class _Translation:
    """One request's translation; collects what it drops."""

    def __init__(self) -> None:
        self.dropped: list[str] = []

    def drop(self, field: str) -> None:
        """Report ``field`` as not translated (once)."""
        if field not in self.dropped:
            self.dropped.append(field)

    def request(self, request: MessagesRequest) -> ChatCompletionRequest:
        """The whole request."""
        messages = self.system(request.system)
        for position, message in enumerate(request.messages):
            messages += self.message(message, f"messages[{position}]")
        openai = ChatCompletionRequest(
            model=request.model, messages=messages, max_tokens=request.max_tokens
        )
        self.tools(request, openai)
        if request.stop_sequences:
            openai.stop = list(request.stop_sequences)
        if request.temperature is not None:
            openai.temperature = request.temperature
        if request.top_p is not None:
            openai.top_p = request.top_p
        if request.stream is not None:
            openai.stream = request.stream
            if request.stream:
                # The stream's last event reports usage, so the gateway needs it from upstream.
                openai.stream_options = StreamOptions(include_usage=True)
        if request.metadata is not None and request.metadata.user_id:
            openai.user = request.metadata.user_id
        if request.service_tier is not None:
            if request.service_tier in _SERVICE_TIERS:
                openai.service_tier = _SERVICE_TIERS[request.service_tier]
            else:
                self.drop("service_tier")
        self.output(request, openai)
        if request.thinking is not None and request.thinking.get("type") != "disabled":
            self.drop("thinking")
        for field in UNTRANSLATED_FIELDS:
            if getattr(request, field) is not None:
                self.drop(field)
        return openai

    # -- the conversation ------------------------------------------------------------------

    def system(self, system: str | list[TextBlock] | None) -> list[ChatMessage]:
        """The top-level system prompt as the first message (none when empty)."""
        if isinstance(system, str):
            return [ChatMessage(role="system", content=system)] if system else []
        if not system:
            return []
        return [ChatMessage(role="system", content=self.texts(system, "system[]"))]

    def texts(self, blocks: list[TextBlock], where: str) -> str | list[ContentPart]:
        """Text blocks as a message's content: one block is a string, several are parts."""
        for block in blocks:
            self.text_extras(block, where)
        if len(blocks) == 1:
            return blocks[0].text
        return [ContentPart(type="text", text=block.text) for block in blocks]

    def text_extras(self, block: TextBlock, where: str) -> None:
        """Report what a text block carries besides its text."""
        self.block_cache(block, where)
        if block.citations:
            self.drop(f"{where}.citations")

    def message(self, message: InputMessage, where: str) -> list[ChatMessage]:
        """The OpenAI messages one Anthropic turn makes (none, one or several)."""
        if message.role == "system":
            if isinstance(message.content, str):
                return [ChatMessage(role="system", content=message.content)]
            texts = [block for block in message.content if isinstance(block, TextBlock)]
            if len(texts) != len(message.content):
                raise BadRequest(
                    f"{where}.content: a system message may only hold text blocks",
                    param=f"{where}.content",
                )
            return [ChatMessage(role="system", content=self.texts(texts, "messages[].content[]"))]
        if isinstance(message.content, str):
            return [ChatMessage(role=message.role, content=message.content)]
        if message.role == "user":
            return self.user(message.content, where)
        return self.assistant(message.content, where)

    def user(self, blocks: list[InputBlock], where: str) -> list[ChatMessage]:
        """A user turn: its tool results as ``tool`` messages first, then the rest."""
        results: list[ChatMessage] = []
        media: list[ContentPart] = []  # images and PDFs of tool results
        parts: list[ContentPart] = []
        for position, block in enumerate(blocks):
            if not isinstance(block, TextBlock):
                self.block_cache(block, "messages[].content[]")
            if isinstance(block, TextBlock):
                self.text_extras(block, "messages[].content[]")
                parts.append(ContentPart(type="text", text=block.text))
            elif isinstance(block, ImageBlock):
                parts.append(_image(block))
            elif isinstance(block, DocumentBlock):
                parts += self.document(block)
            elif isinstance(block, ToolResultBlock):
                results.append(self.tool_result(block, media))
            elif isinstance(block, ThinkingBlock | RedactedThinkingBlock):
                self.drop(f"messages[].content[].{_block_type(block)}")
            else:
                raise BadRequest(
                    f"{where}.content[{position}]: a tool_use block belongs in an assistant "
                    "message",
                    param=f"{where}.content[{position}]",
                )
        parts = media + parts
        if not parts:
            return results
        if len(parts) == 1 and parts[0].type == "text":
            return [*results, ChatMessage(role="user", content=parts[0].text)]
        return [*results, ChatMessage(role="user", content=parts)]

    def assistant(self, blocks: list[InputBlock], where: str) -> list[ChatMessage]:
        """An assistant turn: its text and its tool calls (nothing when both are empty)."""
        texts: list[str] = []
        calls: list[ToolCall] = []
        for position, block in enumerate(blocks):
            if not isinstance(block, TextBlock):
                self.block_cache(block, "messages[].content[]")
            if isinstance(block, TextBlock):
                self.text_extras(block, "messages[].content[]")
                texts.append(block.text)
            elif isinstance(block, ToolUseBlock):
                arguments = msgspec.json.encode(block.input).decode()
                function = FunctionCall(name=block.name, arguments=arguments)
                calls.append(ToolCall(id=block.id, type="function", function=function))
            elif isinstance(block, ThinkingBlock | RedactedThinkingBlock):
                self.drop(f"messages[].content[].{_block_type(block)}")
            else:
                raise BadRequest(
                    f"{where}.content[{position}]: an assistant message cannot hold "
                    f"{_block_type(block)} blocks",
                    param=f"{where}.content[{position}]",
                )
        if not texts and not calls:
            return []
        return [
            ChatMessage(
                role="assistant",
                content="".join(texts) if texts else None,
                tool_calls=calls or UNSET,
            )
        ]

    def block_cache(self, block: InputBlock | ToolResultContent, where: str) -> None:
        """Report a block's prompt-caching breakpoint (``where`` is the block's path)."""
        if block.cache_control is not None:
            self.drop(f"{where}.cache_control")

    def tool_result(self, block: ToolResultBlock, media: list[ContentPart]) -> ChatMessage:
        """A ``tool`` message; the result's images and PDFs go to ``media``."""
        if block.is_error:
            self.drop("messages[].content[].is_error")
        message = ChatMessage(role="tool", tool_call_id=block.tool_use_id, content="")
        if isinstance(block.content, str):
            message.content = block.content
        elif block.content:
            texts: list[ContentPart] = []
            for item in block.content:
                if not isinstance(item, TextBlock):
                    self.block_cache(item, "messages[].content[].content[]")
                if isinstance(item, TextBlock):
                    self.text_extras(item, "messages[].content[].content[]")
                    texts.append(ContentPart(type="text", text=item.text))
                elif isinstance(item, ImageBlock):
                    media.append(_image(item))
                else:
                    for part in self.document(item):
                        (texts if part.type == "text" else media).append(part)
            if len(texts) == 1:
                message.content = texts[0].text
            elif texts:
                message.content = texts
        return message

    def document(self, block: DocumentBlock) -> list[ContentPart]:
        """The part a document becomes (none when it cannot be inlined)."""
        source = block.source
        where = "messages[].content[].document"
        if block.context is not None:
            self.drop(f"{where}.context")
        if block.citations is not None:
            self.drop(f"{where}.citations")
        if isinstance(source, Base64Source) and source.media_type == "application/pdf":
            file: dict[str, Any] = {"file_data": f"data:application/pdf;base64,{source.data}"}
            if block.title:
                file["filename"] = block.title
            return [ContentPart(type="file", file=file)]
        text = source.data if isinstance(source, PlainTextSource) else None
        if isinstance(source, ContentSource) and isinstance(source.content, str):
            text = source.content
        if text is None:
            self.drop(where)
            return []
        if block.title:
            self.drop(f"{where}.title")
        return [ContentPart(type="text", text=text)]

    # -- parameters --------------------------------------------------------------------------

    def tools(self, request: MessagesRequest, openai: ChatCompletionRequest) -> None:
        """``tools`` and ``tool_choice``; server tools are dropped."""
        tools: list[Tool] = []
        for position, tool in enumerate(request.tools or []):
            translated = self.tool(tool, f"tools[{position}]")
            if translated is not None:
                tools.append(translated)
        if tools:
            openai.tools = tools
        choice = request.tool_choice
        if choice is None:
            return
        if not tools:
            # Nothing to call: "auto" and "none" ask for nothing, "any" and "tool" cannot hold.
            if choice.type in ("any", "tool"):
                self.drop("tool_choice")
            return
        openai.tool_choice = _tool_choice(choice)
        if choice.disable_parallel_tool_use and choice.type != "none":
            openai.parallel_tool_calls = False

    def tool(self, tool: ToolDefinition, where: str) -> Tool | None:
        """One client tool as an OpenAI function (``None`` for a server tool)."""
        if tool.type not in (None, "custom"):
            self.drop(f"tools[{tool.name}]")
            return None
        if tool.input_schema is None:
            raise BadRequest(
                f"{where}.input_schema: this field is required", param=f"{where}.input_schema"
            )
        for field in _TOOL_FIELDS_DROPPED:
            if getattr(tool, field) is not None:
                self.drop(f"tools[].{field}")
        return Tool(
            function=FunctionDefinition(
                name=tool.name,
                description=tool.description if tool.description is not None else UNSET,
                parameters=tool.input_schema,
                strict=tool.strict if tool.strict is not None else UNSET,
            )
        )

    def output(self, request: MessagesRequest, openai: ChatCompletionRequest) -> None:
        """``output_config``: effort and structured output."""
        config = request.output_config
        if config is None:
            return
        if config.effort is not None:
            if config.effort in _EFFORTS:
                openai.reasoning_effort = config.effort
            else:
                self.drop("output_config.effort")
        if config.format is not None:
            schema = config.format.get("schema")
            if config.format.get("type") == "json_schema" and isinstance(schema, dict):
                openai.response_format = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": schema},
                }
            else:
                self.drop("output_config.format")


def _tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if choice.type == "any":
        return "required"
    if choice.type != "tool":
        return choice.type
    if not choice.name:
        raise BadRequest(
            "tool_choice.name: required when tool_choice.type is 'tool'", param="tool_choice.name"
        )
    return {"type": "function", "function": {"name": choice.name}}


def _image(block: ImageBlock) -> ContentPart:
    source = block.source
    if isinstance(source, Base64Source):
        url = f"data:{source.media_type};base64,{source.data}"
    else:
        url = source.url
    return ContentPart(type="image_url", image_url={"url": url})


def _block_type(block: InputBlock | ToolResultContent) -> str:
    tag = type(block).__struct_config__.tag
    return str(tag)
