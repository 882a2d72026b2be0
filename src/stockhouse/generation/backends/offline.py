"""The built-in offline renderer: procedural pictures from the prompt. NOT a neural model.

It lets the generator (and the demo) work with no model and no network. Each picture is a
pure function of the prompt, the medium, the size and a seed: colours come from colour
words in the prompt (or, failing those, from a hash of its words); "photography" draws a
sky-to-ground landscape with a soft sun, hills and film grain, "art" draws bold flat
shapes on a slanted gradient, posterised. The same request always gives the same bytes;
each of a job's pictures has its own seed, so they differ.

Pictures are drawn at WORK_EDGE px with numpy and scaled up with libvips, which keeps a
2048 px picture well under a second.
"""

from __future__ import annotations

import colorsys
import hashlib
import re

import numpy as np
import pyvips

from stockhouse.generation.backends import RenderRequest

WORK_EDGE = 384
JPEG_QUALITY = 92
GRAIN_SIGMA = 6.0
Color = tuple[float, float, float]

# Colour words a prompt may use (sRGB 0-255), so "red poppies at dusk" looks red.
COLOR_WORDS: dict[str, Color] = {
    "red": (200, 40, 40),
    "crimson": (170, 20, 50),
    "orange": (240, 140, 30),
    "yellow": (240, 210, 50),
    "gold": (220, 180, 60),
    "golden": (225, 175, 70),
    "green": (50, 150, 70),
    "forest": (30, 90, 45),
    "teal": (30, 140, 140),
    "blue": (40, 90, 200),
    "sky": (120, 175, 235),
    "sea": (30, 110, 170),
    "ocean": (20, 80, 150),
    "purple": (120, 60, 160),
    "violet": (140, 80, 200),
    "pink": (240, 140, 180),
    "brown": (120, 80, 40),
    "white": (240, 240, 235),
    "snow": (235, 240, 250),
    "black": (20, 20, 25),
    "night": (15, 20, 50),
    "grey": (130, 130, 130),
    "gray": (130, 130, 130),
    "sunset": (250, 120, 60),
    "dusk": (110, 70, 120),
    "desert": (220, 180, 120),
    "autumn": (200, 110, 40),
}
_WORD = re.compile(r"[a-z]+")


class OfflineRenderer:
    """The default backend: deterministic procedural pictures (see the module docstring)."""

    name = "offline"

    def generate(self, request: RenderRequest, count: int) -> list[bytes]:
        return [render(request, index) for index in range(count)]


def render(request: RenderRequest, index: int = 0) -> bytes:
    """Picture number `index` of `request`, as JPEG bytes (the same input, the same bytes)."""
    rng = np.random.default_rng(_seed(request, index))
    palette = _palette(request.prompt, rng)
    work_w, work_h = _work_size(request.width, request.height)
    if request.medium == "art":
        canvas = _art(work_w, work_h, palette, rng)
    else:
        canvas = _photograph(work_w, work_h, palette, rng)
    pixels = np.ascontiguousarray(np.clip(canvas, 0, 255).astype(np.uint8))
    image = pyvips.Image.new_from_memory(pixels.data, work_w, work_h, 3, "uchar")
    image = image.resize(request.width / work_w, vscale=request.height / work_h, kernel="cubic")
    image = image.crop(0, 0, request.width, request.height).copy(interpretation="srgb")
    data: bytes = image.jpegsave_buffer(Q=JPEG_QUALITY, strip=True)
    return data


def _seed(request: RenderRequest, index: int) -> int:
    parts = (request.prompt, request.medium, request.aspect_ratio, str(request.seed), str(index))
    text = "\x00".join(parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8", "replace")).digest()[:8], "big")


def _work_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, WORK_EDGE / max(width, height))
    return max(8, round(width * scale)), max(8, round(height * scale))


def _palette(prompt: str, rng: np.random.Generator) -> list[Color]:
    """Four colours: the prompt's colour words first, then hues hashed from its words."""
    words = _WORD.findall(prompt.lower())
    colors = [COLOR_WORDS[w] for w in words if w in COLOR_WORDS][:3]
    base_hue = (
        int.from_bytes(hashlib.sha256(" ".join(words).encode()).digest()[:2], "big") / 65535.0
    )
    while len(colors) < 4:
        hue = (base_hue + 0.11 * len(colors) + rng.uniform(-0.04, 0.04)) % 1.0
        light = rng.uniform(0.35, 0.75)
        red, green, blue = colorsys.hls_to_rgb(hue, light, rng.uniform(0.45, 0.85))
        colors.append((red * 255, green * 255, blue * 255))
    order = rng.permutation(len(colors))
    return [colors[i] for i in order]


def _gradient(width: int, height: int, top: Color, bottom: Color, angle: float) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (yy / height) * np.cos(angle) + (xx / width) * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    top_arr = np.array(top, np.float32)
    bottom_arr = np.array(bottom, np.float32)
    result: np.ndarray = top_arr * (1 - ramp[..., None]) + bottom_arr * ramp[..., None]
    return result


def _blend(canvas: np.ndarray, mask: np.ndarray, color: Color, strength: float) -> None:
    weight = (mask * strength)[..., None]
    canvas[:] = canvas * (1 - weight) + np.array(color, np.float32) * weight


def _lighter(color: Color) -> Color:
    red, green, blue = (c + (255 - c) * 0.6 for c in color)
    return (red, green, blue)


def _photograph(
    width: int, height: int, palette: list[Color], rng: np.random.Generator
) -> np.ndarray:
    sky, ground, sun, hill = palette
    canvas = _gradient(width, height, sky, ground, rng.uniform(-0.15, 0.15))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.1, 0.45) * height
    radius = rng.uniform(0.06, 0.14) * min(width, height)
    glow = np.clip(1.0 - np.hypot(xx - cx, yy - cy) / (radius * 3.0), 0, 1) ** 2
    _blend(canvas, glow, _lighter(sun), 0.9)
    for layer in range(int(rng.integers(2, 4))):
        base = rng.uniform(0.5, 0.8) * height + layer * 0.06 * height
        wave = sum(
            rng.uniform(0.02, 0.08)
            * height
            * np.sin(xx[0] / width * rng.uniform(2, 9) + rng.uniform(0, 6.3))
            for _ in range(3)
        )
        ridge = base + wave
        mask = np.clip((yy - ridge[None, :]) / 3.0, 0, 1)
        shade = tuple(c * (0.55 + 0.12 * layer) for c in hill)
        _blend(canvas, mask, (shade[0], shade[1], shade[2]), 0.85)
    vignette = 1.0 - 0.35 * (np.hypot((xx / width - 0.5), (yy / height - 0.5)) / 0.7071) ** 2
    canvas *= vignette[..., None]
    canvas += rng.normal(0.0, GRAIN_SIGMA, canvas.shape).astype(np.float32)
    return canvas


def _art(width: int, height: int, palette: list[Color], rng: np.random.Generator) -> np.ndarray:
    canvas = _gradient(width, height, palette[0], palette[1], rng.uniform(0, np.pi))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for _ in range(int(rng.integers(5, 10))):
        color = palette[int(rng.integers(0, len(palette)))]
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(0.08, 0.3) * min(width, height)
        if rng.random() < 0.5:
            mask = (np.hypot(xx - cx, yy - cy) < size).astype(np.float32)
        else:
            angle = rng.uniform(0, np.pi)
            u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
            v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
            mask = ((np.abs(u) < size) & (np.abs(v) < size * rng.uniform(0.2, 1.0))).astype(
                np.float32
            )
        _blend(canvas, mask, color, rng.uniform(0.7, 1.0))
    levels = float(rng.integers(5, 9))
    posterised: np.ndarray = np.round(canvas / 255.0 * levels) / levels * 255.0
    return posterised
