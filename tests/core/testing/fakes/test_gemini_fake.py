"""The fake Gemini server is what the official google-genai SDK expects."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from google import genai
from google.genai import errors, types

from switchboard.testing.fakes.gemini import GeminiFake

KEY = "AIza-sdk-check"
MODEL = "gemini-2.5-flash"


@pytest.fixture
def fake() -> Iterator[GeminiFake]:
    with GeminiFake(api_key=KEY, model=MODEL) as server:
        yield server


def _client(fake: GeminiFake, key: str = KEY) -> genai.Client:
    return genai.Client(
        api_key=key,
        http_options=types.HttpOptions(
            base_url=fake.url,
            api_version="v1beta",
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


@pytest.fixture
def client(fake: GeminiFake) -> genai.Client:
    return _client(fake)


def test_generate_content(fake: GeminiFake, client: genai.Client) -> None:
    fake.script(fake.answer("Hi!", prompt_tokens=7, candidates_tokens=2, thoughts_tokens=3))
    answer = client.models.generate_content(
        model=MODEL,
        contents="Hello",
        config=types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=20),
    )
    assert answer.text == "Hi!"
    assert answer.candidates and answer.candidates[0].finish_reason == types.FinishReason.STOP
    usage = answer.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count) == (7, 2)
    assert (usage.thoughts_token_count, usage.total_token_count) == (3, 12)
    sent = fake.last
    assert sent.path == f"/v1beta/models/{MODEL}:generateContent"
    assert sent.header("x-goog-api-key") == KEY
    assert sent.json["contents"] == [{"role": "user", "parts": [{"text": "Hello"}]}]
    assert sent.json["systemInstruction"]["parts"] == [{"text": "Be brief."}]
    assert sent.json["generationConfig"] == {"maxOutputTokens": 20}


def test_function_calls(fake: GeminiFake, client: genai.Client) -> None:
    fake.script(
        fake.answer(
            parts=[
                fake.text_part("thinking it over", thought=True),
                fake.function_call_part(
                    "get_weather", {"city": "Paris"}, thought_signature="c2lnbmF0dXJl"
                ),
            ]
        )
    )
    answer = client.models.generate_content(model=MODEL, contents="Weather in Paris?")
    (call,) = answer.function_calls or []
    assert (call.name, call.args) == ("get_weather", {"city": "Paris"})
    parts = answer.candidates[0].content.parts  # type: ignore[index, union-attr]
    assert parts is not None and parts[0].thought is True
    assert parts[1].thought_signature == b"signature"


def test_stream(fake: GeminiFake, client: genai.Client) -> None:
    fake.script(fake.text_stream(["Hel", "lo", "!"], prompt_tokens=5, candidates_tokens=3))
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Hi"))
    assert "".join(c.text or "" for c in chunks) == "Hello!"
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata is not None and last.usage_metadata.total_token_count == 8
    assert fake.last.path == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert fake.last.query == {"alt": "sse"}


def test_a_failure_after_the_stream_started(fake: GeminiFake, client: genai.Client) -> None:
    fake.script(
        fake.stream(
            [fake.response(text="Hel", finish_reason=None)],
            error=fake.stream_error(503, "The model is overloaded. Please try again later."),
        )
    )
    with pytest.raises(errors.ServerError) as failed:
        list(client.models.generate_content_stream(model=MODEL, contents="Hi"))
    assert (failed.value.code, failed.value.status) == (503, "UNAVAILABLE")


def test_a_blocked_prompt(fake: GeminiFake, client: genai.Client) -> None:
    fake.script(fake.blocked("PROHIBITED_CONTENT"))
    answer = client.models.generate_content(model=MODEL, contents="...")
    assert not answer.candidates
    assert answer.prompt_feedback is not None
    assert answer.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT


def test_embeddings(fake: GeminiFake, client: genai.Client) -> None:
    answer = client.models.embed_content(
        model="gemini-embedding-001",
        contents=["a", "b"],
        config=types.EmbedContentConfig(output_dimensionality=3),
    )
    assert answer.embeddings is not None
    assert [e.values for e in answer.embeddings] == [[0.1, 0.2, 0.3], [0.2, 0.2, 0.3]]
    sent = fake.last
    assert sent.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert sent.json["requests"][0]["model"] == "models/gemini-embedding-001"
    assert sent.json["requests"][1]["content"]["parts"] == [{"text": "b"}]
    assert sent.json["requests"][1]["outputDimensionality"] == 3


def test_models(client: genai.Client) -> None:
    names = [model.name for model in client.models.list()]
    assert names == [f"models/{MODEL}", "models/gemini-embedding-001"]


def test_errors_are_the_sdks_exceptions(fake: GeminiFake, client: genai.Client) -> None:
    fake.script(fake.error(429, "Resource has been exhausted.", retry_delay="38s"))
    with pytest.raises(errors.ClientError) as limited:
        client.models.generate_content(model=MODEL, contents="x")
    assert (limited.value.code, limited.value.status) == (429, "RESOURCE_EXHAUSTED")
    retry = [d for d in limited.value.details["error"]["details"] if "retryDelay" in d]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "38s"}]

    fake.script(fake.error(500, "An internal error has occurred."))
    with pytest.raises(errors.ServerError) as failed:
        client.models.generate_content(model=MODEL, contents="x")
    assert (failed.value.code, failed.value.status) == (500, "INTERNAL")


def test_a_wrong_key_is_googles_400(fake: GeminiFake) -> None:
    wrong = _client(fake, key="AIza-wrong")  # kept: a dropped client closes its connections
    with pytest.raises(errors.ClientError) as refused:
        wrong.models.generate_content(model=MODEL, contents="x")
    assert (refused.value.code, refused.value.status) == (400, "INVALID_ARGUMENT")
    assert refused.value.message == "API key not valid. Please pass a valid API key."
    assert refused.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_no_key_is_a_403_and_the_query_key_works(fake: GeminiFake) -> None:
    url = f"{fake.url}/v1beta/models/{MODEL}:generateContent"
    body = {"contents": [{"parts": [{"text": "x"}]}]}
    missing = httpx.post(url, json=body)
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
    assert httpx.post(url, json=body, params={"key": KEY}).status_code == 200


def test_the_stream_is_data_only_sse(fake: GeminiFake) -> None:
    fake.script(fake.text_stream(["a", "b"]))
    raw = httpx.post(
        f"{fake.url}/v1beta/models/{MODEL}:streamGenerateContent",
        params={"alt": "sse"},
        headers={"x-goog-api-key": KEY},
        json={"contents": [{"parts": [{"text": "x"}]}]},
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = raw.text.split("\r\n\r\n")
    assert events[-1] == "" and len(events) == 3  # no [DONE]: the connection just closes
    assert all(event.startswith("data: {") for event in events[:-1])
