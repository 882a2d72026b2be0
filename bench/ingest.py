"""Image ingest throughput: Stockhouse's pipeline against a bare pyvips script, same run.

    .venv/bin/python bench/ingest.py [--quick] [--workers N]

Makes photo-like 24 MP, 12 MP and 2 MP JPEGs, then pushes them through two pools of
worker processes, one per core, each with VIPS_CONCURRENCY=1 (design/performance.md):

- baseline: a bare pyvips script making the same renditions (large 1000 px, brand and
  neutral watermarked previews, thumbnails 450/170/110 cascaded, JPEG files), a 64-bit
  pHash and a dominant colour, nothing else;
- pipeline: what the ingest job does with the same file minus the database: detect the
  type from the content, check the name, `analyse_image` (header and pixel-limit check,
  shrink-on-load decode, renditions, watermarks, colour, pHash, EXIF/IPTC/XMP read),
  then store every rendition in a local blob store (durable puts: fsync and rename).

Rounds alternate baseline and pipeline so both see the same machine load. Targets: the
pipeline reaches at least 0.8 of the baseline's images per second (per core; both use the
same cores) for every size, and a pipeline worker's peak memory stays under 400 MB.
The last lines are `RESULT <name> <value> target <target> ok|short`; for the memory line
the value must stay below the target.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

os.environ["VIPS_CONCURRENCY"] = "1"  # before pyvips loads, here and in every worker

import numpy as np
import pyvips

SIZES: dict[str, tuple[int, int]] = {
    "24mp": (6000, 4000),
    "12mp": (4240, 2832),
    "2mp": (1732, 1155),
}
TARGET_RATIO = 0.8
TARGET_PEAK_RSS_MB = 400.0
JPEG_QUALITY = 90  # of the generated originals (camera-like file sizes)
LARGE_EDGE = 1000
THUMB_EDGES = (450, 170, 110)
PREVIEW_QUALITY = 85


@dataclass(frozen=True)
class Plan:
    images_per_size: int
    rounds: int


QUICK = Plan(images_per_size=2, rounds=3)
FULL = Plan(images_per_size=4, rounds=10)


# -- test images -----------------------------------------------------------------------


def make_photo(path: Path, width: int, height: int, seed: int) -> None:
    """A photo-like JPEG: smooth colour waves with sensor-like noise (real file sizes)."""
    rng = np.random.default_rng(seed)
    small_w, small_h = 300, 200
    y, x = np.mgrid[0:small_h, 0:small_w] / small_w
    channels = []
    for _ in range(3):
        value = np.zeros((small_h, small_w))
        for _ in range(6):
            fx, fy = rng.uniform(-8, 8, size=2)
            value += np.sin(2 * np.pi * (fx * x + fy * y) + rng.uniform(0, 2 * np.pi))
        channels.append(127.5 + 127.5 * value / 6)
    pixels = np.clip(np.dstack(channels), 0, 255).astype(np.uint8)
    small = pyvips.Image.new_from_array(pixels, interpretation="srgb")
    smooth = small.resize(width / small_w, vscale=height / small_h, kernel="cubic")
    noisy = smooth + pyvips.Image.gaussnoise(width, height, sigma=10, mean=0)
    noisy.cast("uchar").copy(interpretation="srgb").jpegsave(str(path), Q=JPEG_QUALITY)


# -- the bare pyvips baseline ----------------------------------------------------------


@cache
def _bare_masks(width: int, height: int) -> tuple[Any, Any, Any]:
    """Shadow, text and hatch masks for one preview size (made once, like any script)."""
    word = pyvips.Image.text("STOCKHOUSE", font="sans bold 34", dpi=72).rotate(-30)
    tile = word.gravity("centre", word.width + 70, word.height + 70, extend="black")
    tile = tile.join(tile.wrap(x=tile.width // 2, y=0), "vertical")
    words = tile.replicate(width // tile.width + 1, height // tile.height + 1)
    words = words.crop(0, 0, width, height)
    shadow = words.embed(2, 2, width, height, extend="black")
    xyz = pyvips.Image.xyz(width, height)
    hatch = ((xyz[0] + xyz[1]) % 56 < 2) | ((xyz[0] - xyz[1] + 56 * height) % 56 < 2)
    return (
        (shadow * 0.22).cast("uchar").copy_memory(),
        (words * 0.45).cast("uchar").copy_memory(),
        (hatch * 0.28).cast("uchar").copy_memory(),
    )


@cache
def _dct(size: int = 32) -> Any:
    k, n = np.arange(size)[:, None], np.arange(size)[None, :]
    matrix = np.cos(np.pi * (2 * n + 1) * k / (2 * size)) * np.sqrt(2 / size)
    matrix[0, :] = np.sqrt(1 / size)
    return matrix


PALETTE = np.array(
    [
        [0x00, 0x00, 0x7C], [0x00, 0x05, 0xFD], [0x01, 0xFF, 0xFF], [0x02, 0x7F, 0x00],
        [0x04, 0xFE, 0x00], [0xFF, 0xFF, 0x00], [0xF9, 0xBE, 0x00], [0xFE, 0xCD, 0x9B],
        [0xFE, 0x00, 0x00], [0x7E, 0x00, 0x04], [0x65, 0x32, 0x01], [0xFF, 0x01, 0xFF],
        [0x81, 0x00, 0x81], [0xBF, 0xBF, 0xBF], [0x7A, 0x7A, 0x7A], [0x00, 0x00, 0x00],
        [0xFF, 0xFF, 0xFF],
    ],
    dtype=np.float64,
)  # fmt: skip


def bare_renditions(path: Path, outdir: Path) -> tuple[int, int]:
    """The baseline: renditions as JPEG files, then (pHash, colour id)."""
    large = pyvips.Image.thumbnail(str(path), LARGE_EDGE, height=LARGE_EDGE, size="down")
    large = large.copy_memory()
    large.jpegsave(str(outdir / "large.jpg"), Q=PREVIEW_QUALITY, keep=0)
    shadow, text, hatch = _bare_masks(large.width, large.height)
    brand = text.ifthenelse([255] * 3, shadow.ifthenelse([0] * 3, large, blend=True), blend=True)
    brand.jpegsave(str(outdir / "brand.jpg"), Q=PREVIEW_QUALITY, keep=0)
    neutral = hatch.ifthenelse([128] * 3, large, blend=True)
    neutral.jpegsave(str(outdir / "neutral.jpg"), Q=PREVIEW_QUALITY, keep=0)
    thumbs = {}
    source = large
    for edge in THUMB_EDGES:
        source = thumbs[edge] = source.thumbnail_image(edge, height=edge).copy_memory()
        source.jpegsave(str(outdir / f"t{edge}.jpg"), Q=PREVIEW_QUALITY, keep=0)
    grey = thumbs[170].thumbnail_image(32, height=32, size="force").colourspace("b-w")
    grey_pixels = np.frombuffer(grey.write_to_memory(), dtype=np.uint8).reshape(32, 32)
    coefficients = _dct() @ grey_pixels @ _dct().T
    low = coefficients[1:9, 1:9].ravel()
    phash = int("".join("1" if bit else "0" for bit in low > np.median(low)), 2)
    rgb = np.frombuffer(thumbs[110].write_to_memory(), dtype=np.uint8).reshape(-1, 3)
    nearest = ((rgb[:, None, :] - PALETTE[None]) ** 2).sum(axis=2).argmin(axis=1)
    return phash, int(np.bincount(nearest).argmax()) + 1


# -- worker processes ------------------------------------------------------------------


_MODE: dict[str, str] = {}


def _init_worker(mode: str, src: str) -> None:
    pyvips.concurrency_set(1)
    sys.path.insert(0, src)
    _MODE["mode"] = mode
    if mode == "pipeline":
        # Imported here so that their import cost stays outside the timed rounds.
        for module in ("stockhouse.ingest.images", "stockhouse.ingest.pipeline"):
            importlib.import_module(module)


def _process(task: tuple[str, str, str]) -> tuple[float, float]:
    """Process one image; the CPU seconds it took and the worker's peak memory in MB."""
    path_text, work_root, blob_root = task
    path = Path(path_text)
    cpu_before = time.process_time()
    with tempfile.TemporaryDirectory(dir=work_root) as tmp:
        if _MODE["mode"] == "pipeline":
            _pipeline_image(path, Path(tmp), Path(blob_root))
        else:
            bare_renditions(path, Path(tmp))
    cpu = time.process_time() - cpu_before
    return cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@cache
def _blob_store(root: str) -> Any:
    from stockhouse.blobs.local import LocalBlobStore

    return LocalBlobStore(Path(root))


def _pipeline_image(path: Path, workdir: Path, blob_root: Path) -> None:
    from stockhouse.ingest.detect import check_name, detect
    from stockhouse.ingest.images import analyse_image
    from stockhouse.ingest.pipeline import store_renditions

    detected = detect(path)
    check_name(path.name, detected)
    analysis = analyse_image(path, workdir, detected)
    store_renditions(_blob_store(str(blob_root)), analysis.renditions)


# -- measuring -------------------------------------------------------------------------


@dataclass
class Tally:
    images: int = 0
    seconds: float = 0.0  # wall clock, all workers together
    cpu_seconds: float = 0.0  # summed over the images (shows what is CPU and what waits)
    peak_rss_mb: float = 0.0

    @property
    def per_second(self) -> float:
        return self.images / self.seconds if self.seconds else 0.0


def _run_round(pool: Any, tasks: list[tuple[str, str, str]], tally: Tally) -> None:
    started = time.perf_counter()
    measured = pool.map(_process, tasks, chunksize=1)
    tally.seconds += time.perf_counter() - started
    tally.images += len(tasks)
    tally.cpu_seconds += sum(cpu for cpu, _ in measured)
    tally.peak_rss_mb = max(tally.peak_rss_mb, *(peak for _, peak in measured))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    workers: int = args.workers
    src = str(Path(__file__).resolve().parent.parent / "src")
    root = Path(tempfile.mkdtemp(prefix="stockhouse-bench-ingest-"))
    try:
        return _bench(plan, workers, src, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _bench(plan: Plan, workers: int, src: str, root: Path) -> int:
    print(f"making test images in {root} ...", flush=True)
    files: dict[str, list[Path]] = {}
    for label, (width, height) in SIZES.items():
        files[label] = []
        for index in range(plan.images_per_size):
            path = root / f"{label}-{index}.jpg"
            make_photo(path, width, height, seed=index)
            files[label].append(path)
    work_root = root / "work"
    work_root.mkdir()
    context = multiprocessing.get_context("spawn")
    pools = {
        mode: context.Pool(workers, initializer=_init_worker, initargs=(mode, src))
        for mode in ("baseline", "pipeline")
    }
    tallies = {(mode, label): Tally() for mode in pools for label in SIZES}
    try:
        for mode, pool in pools.items():  # warm-up: imports, watermark masks, page cache
            warm_blobs = str(root / f"blobs-warm-{mode}")
            tasks = [(str(p), str(work_root), warm_blobs) for f in files.values() for p in f]
            pool.map(_process, tasks * workers, chunksize=1)
        for label, paths in files.items():
            for round_no in range(plan.rounds):
                repeat = max(1, (2 * workers) // len(paths))
                for mode, pool in pools.items():
                    blob_root = str(root / f"blobs-{label}-{round_no}-{mode}")
                    tasks = [(str(p), str(work_root), blob_root) for p in paths] * repeat
                    _run_round(pool, tasks, tallies[(mode, label)])
    finally:
        for pool in pools.values():
            pool.close()
            pool.join()
    return _report(tallies, workers)


def _report(tallies: dict[tuple[str, str], Tally], workers: int) -> int:
    print(f"\nworkers: {workers} processes, VIPS_CONCURRENCY=1, libvips {pyvips.version(0)}."
          f"{pyvips.version(1)}.{pyvips.version(2)}")  # fmt: skip
    print(f"{'size':>6} {'baseline img/s':>15} {'pipeline img/s':>15} {'per core b/p':>14}"
          f" {'wall ms/img b/p':>16} {'CPU ms/img b/p':>15} {'ratio':>6}")  # fmt: skip
    results = []
    for label in SIZES:
        base, pipe = tallies[("baseline", label)], tallies[("pipeline", label)]
        ratio = pipe.per_second / base.per_second
        per_core = f"{base.per_second / workers:.1f}/{pipe.per_second / workers:.1f}"
        ms = f"{1000 * workers / base.per_second:.0f}/{1000 * workers / pipe.per_second:.0f}"
        cpu_ms = [1000 * t.cpu_seconds / t.images for t in (base, pipe)]
        cpu = f"{cpu_ms[0]:.0f}/{cpu_ms[1]:.0f}"
        print(f"{label:>6} {base.per_second:>15.1f} {pipe.per_second:>15.1f} {per_core:>14}"
              f" {ms:>16} {cpu:>15} {ratio:>6.2f}")  # fmt: skip
        results.append((f"ingest_{label}_throughput_ratio", ratio, TARGET_RATIO, ratio >= 0.8))
    peak = max(t.peak_rss_mb for (mode, _), t in tallies.items() if mode == "pipeline")
    base_peak = max(t.peak_rss_mb for (mode, _), t in tallies.items() if mode == "baseline")
    print(f"peak RSS per worker: pipeline {peak:.0f} MB, baseline {base_peak:.0f} MB")
    results.append(("ingest_peak_worker_rss_mb", peak, TARGET_PEAK_RSS_MB, peak < 400))
    for name, value, target, ok in results:
        print(f"RESULT {name} {value:.2f} target {target:g} {'ok' if ok else 'short'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
