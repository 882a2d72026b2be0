"""The image backends: the offline renderer, and an OpenAI-compatible endpoint (a real local
HTTP server, started by the test)."""

from __future__ import annotations

import base64
import json

import pytest
import pyvips

from stockhouse.generation.backends import BackendError, RenderRequest
from stockhouse.generation.backends.offline import OfflineRenderer, render
from stockhouse.generation.backends.openai_http import OpenAIImagesBackend
from tests.generation.support import http_server

REQUEST = RenderRequest("red poppies at dusk", "photography", "3:2", 300, 200, seed=42)


def picture(data: bytes) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(data, "")


def tiny_png(width: int = 96, height: int = 64) -> bytes:
    data: bytes = pyvips.Image.black(width, height, bands=3).pngsave_buffer()
    return data


def test_the_offline_renderer_draws_jpegs_of_the_asked_size() -> None:
    drawn = OfflineRenderer().generate(REQUEST, 4)

    assert [d[:3] for d in drawn] == [b"\xff\xd8\xff"] * 4
    assert {(picture(d).width, picture(d).height) for d in drawn} == {(300, 200)}


def test_the_offline_renderer_is_deterministic_and_each_picture_differs() -> None:
    assert render(REQUEST, 0) == render(REQUEST, 0)
    assert len({render(REQUEST, i) for i in range(4)}) == 4


@pytest.mark.parametrize("change", [{"prompt": "blue sea"}, {"medium": "art"}, {"seed": 43}])
def test_another_prompt_medium_or_seed_draws_another_picture(change: dict[str, object]) -> None:
    other = RenderRequest(**{**REQUEST.__dict__, **change})
    assert render(other, 0) != render(REQUEST, 0)


def test_colour_words_of_the_prompt_colour_the_picture() -> None:
    red = picture(render(RenderRequest("red red red", "art", "1:1", 64, 64, 1)))
    blue = picture(render(RenderRequest("blue blue blue", "art", "1:1", 64, 64, 1)))
    red_means = [red.extract_band(b).avg() for b in range(3)]
    blue_means = [blue.extract_band(b).avg() for b in range(3)]
    assert red_means[0] > red_means[2]
    assert blue_means[2] > blue_means[0]


def answer(*pictures: bytes) -> tuple[int, bytes, str]:
    data = [{"b64_json": base64.b64encode(p).decode()} for p in pictures]
    return 200, json.dumps({"created": 1, "data": data}).encode(), "application/json"


def test_the_openai_backend_posts_the_protocols_request_and_decodes_b64_json() -> None:
    with http_server([answer(*[tiny_png()] * 4)]) as server:
        backend = OpenAIImagesBackend(server.url + "/v1", "sk-test", "gpt-image-1", 5.0)
        drawn = backend.generate(REQUEST, 4)

    assert drawn == [tiny_png()] * 4
    (sent,) = server.received
    assert sent.path == "/v1/images/generations"
    assert sent.headers["Authorization"] == "Bearer sk-test"
    assert sent.json() == {
        "model": "gpt-image-1",
        "prompt": "red poppies at dusk, photography",
        "n": 4,
        "size": "1024x680",
        "response_format": "b64_json",
    }


def test_a_server_that_returns_one_picture_at_a_time_is_asked_again() -> None:
    with http_server([answer(tiny_png())]) as server:
        drawn = OpenAIImagesBackend(server.url, "", "", 5.0).generate(REQUEST, 3)

    assert len(drawn) == 3
    assert [r.json()["n"] for r in server.received] == [3, 2, 1]
    assert "Authorization" not in server.received[0].headers


def test_a_refusal_of_the_endpoint_is_a_permanent_error_with_its_message() -> None:
    refusal = json.dumps({"error": {"message": "content policy violation"}}).encode()
    with (
        http_server([(400, refusal, "application/json")]) as server,
        pytest.raises(BackendError) as failed,
    ):
        OpenAIImagesBackend(server.url, "", "", 5.0).generate(REQUEST, 4)

    assert failed.value.permanent is True
    assert "content policy violation" in failed.value.message


def test_a_server_error_is_a_transient_error() -> None:
    with (
        http_server([(503, b"busy", "text/plain")]) as server,
        pytest.raises(BackendError) as failed,
    ):
        OpenAIImagesBackend(server.url, "", "", 5.0).generate(REQUEST, 4)

    assert failed.value.permanent is False


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"data": "x"}',
        b'{"data": [{"url": "http://x"}]}',
        b'{"data": [{"b64_json": "@@@"}]}',
    ],
)
def test_a_malformed_answer_is_a_backend_error(body: bytes) -> None:
    with http_server([(200, body, "application/json")]) as server, pytest.raises(BackendError):
        OpenAIImagesBackend(server.url, "", "", 5.0).generate(REQUEST, 1)


def test_an_answer_that_is_not_an_image_is_refused() -> None:
    with (
        http_server([answer(b"<html>hello</html>")]) as server,
        pytest.raises(BackendError) as failed,
    ):
        OpenAIImagesBackend(server.url, "", "", 5.0).generate(REQUEST, 1)

    assert "not an image" in failed.value.message


def test_an_unreachable_endpoint_is_a_transient_error() -> None:
    with http_server() as server:
        url = server.url
    with pytest.raises(BackendError) as failed:
        OpenAIImagesBackend(url, "", "", 2.0).generate(REQUEST, 1)
    assert failed.value.permanent is False
