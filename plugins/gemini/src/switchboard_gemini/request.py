"""The gateway's OpenAI-shaped chat request as a Gemini ``generateContent`` body.

======================================  ===========================================================
OpenAI                                  Gemini
======================================  ===========================================================
``system`` / ``developer`` messages     ``systemInstruction.parts`` (text; all of them, in order)
``user`` message                        ``user`` turn of text, ``inlineData`` and ``fileData`` parts
``assistant`` message                   ``model`` turn: ``text`` parts, ``functionCall`` per tool
                                        call (``args`` parsed from the JSON string, ``id`` and
                                        ``thoughtSignature`` recovered from the call id, see ids.py)
``tool`` message                        ``functionResponse`` ``{name, id, response: {output}}`` in a
                                        ``user`` turn; ``name`` looked up from the earlier call
``function`` message (deprecated)       ``functionResponse`` with the message's ``name``
consecutive turns of one role           merged into one turn (tool results after their calls)
``image_url`` data URL                  ``inlineData {mimeType, data}``
``image_url`` Files API URI             ``fileData {fileUri}``
``image_url`` other http(s) URL         dropped, reported as ``image_url`` (Gemini does not fetch)
``image_url.detail`` low/high           dropped, reported as ``image_url.detail``
``input_audio``                         ``inlineData`` (``audio/wav``, ``audio/mp3``)
``file.file_data`` (data URL)           ``inlineData``; ``file.file_id``: dropped as ``file``
``tools[].function``                    ``tools[0].functionDeclarations[] {name, description,
                                        parametersJsonSchema}``; ``strict``: dropped as
                                        ``tools.function.strict`` (Gemini has no strict mode)
``tool_choice`` auto / none / required  ``toolConfig.functionCallingConfig.mode`` AUTO / NONE / ANY
``tool_choice`` a named function        ``ANY`` + ``allowedFunctionNames: [name]``
``tool_choice`` allowed_tools           required: ``ANY`` + the names; auto: ``AUTO``, only those
                                        functions declared
``parallel_tool_calls: false``          dropped (Gemini has no such switch)
``max_completion_tokens``, else          ``generationConfig.maxOutputTokens``
``max_tokens``
``temperature``, ``top_p``, ``seed``    ``temperature``, ``topP``, ``seed``
``presence_penalty``,                   ``presencePenalty``, ``frequencyPenalty``
``frequency_penalty``
``stop`` (string or list)               ``stopSequences``
``n``                                   ``candidateCount``
``response_format`` json_object         ``responseMimeType: application/json``
``response_format`` json_schema         ``responseMimeType`` + ``responseJsonSchema`` (the schema)
``logprobs``, ``top_logprobs``,         dropped and reported under their names: Gemini's
``logit_bias``, ``reasoning_effort``,   logprobs, thinking and service tiers do not map one
``service_tier``, ``metadata``,         to one, or differ per model family
``user``
a message's ``name``                    dropped as ``messages.name``
media in system or assistant messages   dropped under the part's type (``image_url``, ...)
``stream``, ``stream_options``          the endpoint (``:streamGenerateContent?alt=sse``); usage
                                        always comes at the end
======================================  ===========================================================

Requests the gateway cannot express raise ``bad_request`` (tool-call arguments that are not a
JSON object, a tool result whose call is not in the history).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import msgspec
from msgspec import UNSET, UnsetType

from switchboard.dataplane.openai_types import ChatMessage, ContentPart
from switchboard.dataplane.openai_types import FunctionCall as OpenAIFunctionCall
from switchboard.dataplane.openai_types import Tool as OpenAITool
from switchboard.interfaces.provider import ProviderCall, ProviderError
from switchboard_gemini.errors import PROVIDER
from switchboard_gemini.ids import split_call_id
from switchboard_gemini.native import (
    Blob,
    Content,
    FileData,
    FunctionCall,
    FunctionCallingConfig,
    FunctionDeclaration,
    FunctionResponse,
    GenerateContentRequest,
    GenerationConfig,
    Part,
    Tool,
    ToolConfig,
)

__all__ = ["build_request", "model_path"]

_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]+)(?:;[^;,]*)*;base64,(?P<data>.*)$", re.DOTALL)
_FILES_API_URI = re.compile(
    r"^https://generativelanguage\.googleapis\.com/v1(?:alpha|beta)?/files/[A-Za-z0-9_-]+$"
)
_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mp3"}
# Parameters Gemini has no counterpart for: reported whenever the caller set them.
_UNTRANSLATABLE = (
    "logit_bias",
    "reasoning_effort",
    "service_tier",
    "metadata",
    "user",
)


def model_path(model: str) -> str:
    """The model's resource path: ``models/{id}`` for a bare id, tuned models as given."""
    name = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
    return quote(name, safe="/")


def _bad_request(message: str, param: str | None = None) -> ProviderError:
    return ProviderError(
        "bad_request",
        f"{PROVIDER}: {message}",
        status=400,
        error_type="invalid_request_error",
        param=param,
    )


class _Builder:
    """Walks one request, collecting turns and reporting what it cannot send."""

    def __init__(self, call: ProviderCall) -> None:
        self.call = call
        settings: Any = call.settings
        self.files_prefix = str(settings.base_url).rstrip("/") + "/files/"
        self.system: list[Part] = []
        self.contents: list[Content] = []
        # OpenAI tool messages name only the call id; Gemini wants the function's name.
        self.call_names: dict[str, str] = {}

    # -- turns -----------------------------------------------------------------------------

    def add(self, role: str, parts: list[Part]) -> None:
        if not parts:
            return
        last = self.contents[-1] if self.contents else None
        if last is not None and last.role == role:
            last.parts.extend(parts)
        else:
            self.contents.append(Content(role=role, parts=parts))

    def message(self, index: int, message: ChatMessage) -> None:
        if isinstance(message.name, str) and message.role != "function":
            self.call.drop("messages.name")
        if message.role in ("system", "developer"):
            self.system.extend(self.parts(message.content, text_only=True))
        elif message.role == "user":
            self.add("user", self.parts(message.content))
        elif message.role == "assistant":
            parts = self.parts(message.content, text_only=True)
            for tool_call in message.tool_calls or []:
                parts.append(self.function_call(index, tool_call.id, tool_call.function))
            self.add("model", parts)
        elif message.role == "tool":
            self.add("user", [self.tool_result(index, message)])
        else:  # "function": the deprecated form names the function itself
            name = message.name if isinstance(message.name, str) else ""
            if not name:
                raise _bad_request(f"messages[{index}] (role function) has no name", "messages")
            response = FunctionResponse(name=name, response={"output": _text(message.content)})
            self.add("user", [Part(function_response=response)])

    def function_call(
        self, index: int, call_id: str | UnsetType, function: OpenAIFunctionCall | UnsetType
    ) -> Part:
        if not isinstance(function, OpenAIFunctionCall) or not function.name:
            raise _bad_request(f"messages[{index}] has a tool call without a name", "messages")
        name = str(function.name)
        arguments = function.arguments if isinstance(function.arguments, str) else ""
        try:
            args = msgspec.json.decode(arguments) if arguments.strip() else {}
        except msgspec.DecodeError:
            args = None
        if not isinstance(args, dict):
            raise _bad_request(
                f"messages[{index}]: the arguments of tool call {name!r} are not a JSON object",
                "messages",
            )
        gemini_id, signature = None, None
        if isinstance(call_id, str) and call_id:
            self.call_names[call_id] = name
            gemini_id, signature = split_call_id(call_id)
        return Part(
            function_call=FunctionCall(name=name, args=args, id=gemini_id or UNSET),
            thought_signature=signature or UNSET,
        )

    def tool_result(self, index: int, message: ChatMessage) -> Part:
        call_id = message.tool_call_id if isinstance(message.tool_call_id, str) else ""
        name = self.call_names.get(call_id)
        if name is None:
            raise _bad_request(
                f"messages[{index}]: no earlier assistant tool call has the id {call_id!r}"
                " (Gemini needs the function's name for a tool result)",
                "messages",
            )
        gemini_id, _ = split_call_id(call_id)
        response = FunctionResponse(
            name=name, response={"output": _text(message.content)}, id=gemini_id
        )
        return Part(function_response=response)

    # -- parts -----------------------------------------------------------------------------

    def parts(self, content: Any, *, text_only: bool = False) -> list[Part]:
        if isinstance(content, str):
            return [Part(text=content)] if content else []
        parts: list[Part] = []
        for part in content if isinstance(content, list) else []:
            if part.type in ("text", "refusal"):
                text = part.text if part.type == "text" else part.refusal
                if isinstance(text, str) and text:
                    parts.append(Part(text=text))
            elif text_only:
                # System instructions and model turns hold text here; media has no place.
                self.call.drop(part.type)
            else:
                media = self.media(part)
                if media is not None:
                    parts.append(media)
        return parts

    def media(self, part: ContentPart) -> Part | None:
        if part.type == "image_url" and isinstance(part.image_url, dict):
            return self.image(part.image_url)
        if part.type == "input_audio" and isinstance(part.input_audio, dict):
            mime = _AUDIO_TYPES.get(str(part.input_audio.get("format")))
            data = part.input_audio.get("data")
            if mime is not None and isinstance(data, str):
                return Part(inline_data=Blob(mime_type=mime, data=data))
        if part.type == "file" and isinstance(part.file, dict):
            inline = _data_url(part.file.get("file_data"))
            if inline is not None:
                return Part(inline_data=inline)
        self.call.drop(part.type)
        return None

    def image(self, image_url: dict[str, Any]) -> Part | None:
        if image_url.get("detail") not in (None, "auto"):
            self.call.drop("image_url.detail")
        url = image_url.get("url")
        inline = _data_url(url)
        if inline is not None:
            return Part(inline_data=inline)
        if isinstance(url, str) and (
            _FILES_API_URI.match(url) or url.startswith(self.files_prefix)
        ):
            return Part(file_data=FileData(file_uri=url))
        # Gemini reads only files it holds; fetching arbitrary URLs here would need SSRF
        # protection and size limits the gateway does not have.
        self.call.drop("image_url")
        return None


def _data_url(url: Any) -> Blob | None:
    match = _DATA_URL.match(url) if isinstance(url, str) else None
    if match is None:
        return None
    return Blob(mime_type=match["mime"], data=match["data"])


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.text for p in content if p.type == "text" and isinstance(p.text, str))
    return ""


def _declarations(tools: list[OpenAITool], call: ProviderCall) -> list[FunctionDeclaration]:
    declarations = []
    for tool in tools:
        function = tool.function
        if function.strict is True:
            call.drop("tools.function.strict")
        declarations.append(
            FunctionDeclaration(
                name=function.name,
                description=function.description,
                parameters_json_schema=function.parameters,
            )
        )
    return declarations


def _tool_config(
    choice: Any, declarations: list[FunctionDeclaration], call: ProviderCall
) -> tuple[ToolConfig | None, list[FunctionDeclaration]]:
    """``toolConfig`` for ``tool_choice``, and the declarations to send with it."""
    modes = {"auto": "AUTO", "none": "NONE", "required": "ANY"}
    if isinstance(choice, str) and choice in modes:
        return ToolConfig(function_calling_config=FunctionCallingConfig(mode=modes[choice])), (
            declarations
        )
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        if isinstance(name, str):
            config = FunctionCallingConfig(mode="ANY", allowed_function_names=[name])
            return ToolConfig(function_calling_config=config), declarations
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        allowed = choice.get("allowed_tools") or {}
        names = [
            str(t["function"]["name"])
            for t in allowed.get("tools") or []
            if isinstance(t, dict)
            and isinstance(t.get("function"), dict)
            and "name" in t["function"]
        ]
        if names and allowed.get("mode") == "required":
            config = FunctionCallingConfig(mode="ANY", allowed_function_names=names)
            return ToolConfig(function_calling_config=config), declarations
        if names and allowed.get("mode") == "auto":
            # allowedFunctionNames only works with ANY: offer just these functions instead.
            kept = [d for d in declarations if d.name in names]
            return ToolConfig(function_calling_config=FunctionCallingConfig(mode="AUTO")), kept
    call.drop("tool_choice")
    return None, declarations


def _generation_config(call: ProviderCall) -> GenerationConfig | None:
    request = call.request
    config = GenerationConfig()
    if (limit := request.expected_completion_tokens) is not None:
        config.max_output_tokens = limit
    if isinstance(request.temperature, float | int):
        config.temperature = float(request.temperature)
    if isinstance(request.top_p, float | int):
        config.top_p = float(request.top_p)
    if isinstance(request.stop, str):
        config.stop_sequences = [request.stop]
    elif isinstance(request.stop, list) and request.stop:
        config.stop_sequences = list(request.stop)
    if isinstance(request.n, int):
        config.candidate_count = request.n
    if isinstance(request.seed, int):
        config.seed = request.seed
    if isinstance(request.presence_penalty, float | int):
        config.presence_penalty = float(request.presence_penalty)
    if isinstance(request.frequency_penalty, float | int):
        config.frequency_penalty = float(request.frequency_penalty)
    fmt = request.response_format
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        config.response_mime_type = "application/json"
    elif isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        config.response_mime_type = "application/json"
        schema = (fmt.get("json_schema") or {}).get("schema")
        if isinstance(schema, dict):
            config.response_json_schema = schema
    elif isinstance(fmt, dict) and fmt.get("type") != "text":
        call.drop("response_format")
    return config if config != GenerationConfig() else None


def build_request(call: ProviderCall) -> GenerateContentRequest:
    """The native body for ``call``; untranslatable parameters go to ``call.drop``."""
    request = call.request
    builder = _Builder(call)
    for index, message in enumerate(request.messages):
        builder.message(index, message)
    body = GenerateContentRequest(contents=builder.contents)
    if builder.system:
        body.system_instruction = Content(parts=builder.system)
    if isinstance(request.tools, list) and request.tools:
        declarations = _declarations(request.tools, call)
        if request.tool_choice is not UNSET:
            tool_config, declarations = _tool_config(request.tool_choice, declarations, call)
            if tool_config is not None:
                body.tool_config = tool_config
        body.tools = [Tool(function_declarations=declarations)]
    elif request.tool_choice not in (UNSET, "none", "auto"):
        call.drop("tool_choice")
    if request.parallel_tool_calls is False:
        call.drop("parallel_tool_calls")
    if request.logprobs is True:
        call.drop("logprobs")
    if isinstance(request.top_logprobs, int):
        call.drop("top_logprobs")
    for name in _UNTRANSLATABLE:
        if getattr(request, name) not in (UNSET, None):
            call.drop(name)
    generation_config = _generation_config(call)
    if generation_config is not None:
        body.generation_config = generation_config
    return body
