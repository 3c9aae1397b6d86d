"""Benchmark uploads and serving of media (issue 13): run `python bench/media.py`.

Starts its own Daphne on a free loopback port over a throwaway SQLite database and
media folder (nothing of the configured database or `media/` is touched), then:

- checks (`attachments.processing.process_upload`: decode, re-encode, thumbnail)
  a 12-megapixel JPEG and a 60-second voice note in this process, and uploads
  each through `POST /api/v1/attachments` over HTTP;
- uploads a 25 MiB H.264 video, and MEDIA_MAX_BYTES + 1 bytes (refused 413), and
  reads the server process's peak resident memory (VmHWM) around each;
- reads the 12-megapixel JPEG back with `Range` requests: 1 MiB ranges in order
  (throughput) and random 64 KiB ranges (requests per second).

Figures go to stdout as a Markdown table; bench/README.md keeps the last ones.
"""

import argparse
import io
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dmsite.settings")
# DEBUG is off here as in production, which needs a key (any will do for a benchmark).
os.environ.setdefault("DJANGO_SECRET_KEY", "dmsite-bench-not-secret-" + "b" * 40)

import django  # noqa: E402

django.setup()
logging.getLogger("httpx").setLevel(logging.WARNING)

import av  # noqa: E402
import httpx  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from throwaway import throwaway_site  # noqa: E402

from attachments.processing import process_upload  # noqa: E402
from tests.attachments import samples  # noqa: E402
from tests.processes import free_port, peak_rss_kib, rss_kib  # noqa: E402

DAPHNE = Path(sys.executable).with_name("daphne")


def big_video(target_bytes: int) -> bytes:
    """An H.264 MP4 of noise (incompressible), lossless, grown until `target_bytes`."""
    out = io.BytesIO()
    rng = np.random.default_rng(3)
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=30, options={"crf": "0", "preset": "ultrafast"}
        )
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        index = 0
        while out.tell() < target_bytes * 0.98 and index < 30 * 170:
            pixels = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            index += 1
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    jpeg = samples.noisy_jpeg((4000, 3000))
    voice = samples.voice_note(60)
    for name, data in (("12 MP JPEG", jpeg), ("60 s voice note (WebM/Opus)", voice)):
        times = timed(lambda data=data: process_upload(io.BytesIO(data)), args.repeat)
        rows.append(
            (
                f"check + re-encode + thumbnail, {name} ({len(data) / 2**20:.1f} MiB)",
                f"median {statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f})",
            )
        )

    with tempfile.TemporaryDirectory(prefix="dmsite-media-bench-") as folder:
        env, token = throwaway_site(folder)

        def serve():
            """A fresh Daphne on a free port, and a client authenticated as `bench`."""
            port = free_port()
            server = subprocess.Popen(  # noqa: S603
                [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "dmsite.asgi:application"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            client = httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Token {token}"},
                timeout=120,
            )
            for _ in range(200):
                try:
                    client.get("/api/v1/me")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            return server, client

        def post(client, data: bytes, name: str) -> httpx.Response:
            return client.post("/api/v1/attachments", files={"file": (name, data)})

        server, client = serve()
        try:
            ids = {}
            for name, data in (("12 MP JPEG", jpeg), ("60 s voice note", voice)):
                responses = []
                times = timed(
                    lambda data=data, responses=responses: responses.append(
                        post(client, data, "f")
                    ),
                    args.repeat,
                )
                assert all(r.status_code == 201 for r in responses), responses[-1].text
                ids[name] = responses[-1].json()["id"]
                rows.append(
                    (
                        f"POST attachments over HTTP (Daphne), {name}",
                        f"median {statistics.median(times) * 1000:.0f} ms",
                    )
                )
            url = f"/media/{ids['12 MP JPEG']}/original"
            size = int(client.head(url).headers["content-length"])
            start, done, position = time.perf_counter(), 0, 0
            while time.perf_counter() - start < args.seconds:
                end = min(position + 2**20, size) - 1
                response = client.get(url, headers={"Range": f"bytes={position}-{end}"})
                assert response.status_code == 206
                done += len(response.content)
                position = 0 if end + 1 >= size else end + 1
            elapsed = time.perf_counter() - start
            rows.append(
                (
                    f"Range reads over HTTP, 1 MiB each in order ({size / 2**20:.1f} MiB file)",
                    f"{done / 2**20 / elapsed:.0f} MiB/s",
                )
            )
            rng = random.Random(5)
            start, count = time.perf_counter(), 0
            while time.perf_counter() - start < args.seconds:
                offset = rng.randrange(0, size - 65536)
                response = client.get(url, headers={"Range": f"bytes={offset}-{offset + 65535}"})
                assert response.status_code == 206
                count += 1
            rows.append(
                (
                    "Range reads over HTTP, random 64 KiB",
                    f"{count / (time.perf_counter() - start):.0f} req/s",
                )
            )
        finally:
            server.terminate()
            server.wait(10)

        # Memory: each upload on a fresh server, so its peak is that upload's alone.
        video = big_video(25 * 2**20 - 4096)
        for label, data, status in (
            (f"{len(video) / 2**20:.1f} MiB H.264 video, stored", video, 201),
            (
                "MEDIA_MAX_BYTES + 1 bytes, refused 413 by the upload handler",
                b"\0" * (settings.MEDIA_MAX_BYTES + 1),
                413,
            ),
            ("100 MiB declared, refused 413 from Content-Length", b"\0" * (100 * 2**20), 413),
        ):
            server, client = serve()
            try:
                idle = rss_kib(server.pid)
                response = post(client, data, "v.mp4")
                assert response.status_code == status, response.text
                peak = peak_rss_kib(server.pid)
            finally:
                server.terminate()
                server.wait(10)
            rows.append(
                (
                    f"Daphne peak RSS, upload of {label}",
                    f"{peak / 1024:.0f} MiB ({(peak - idle) / 1024:+.0f} MiB over idle)",
                )
            )

    print("| measure | figure |\n|---|---|")
    for name, figure in rows:
        print(f"| {name} | {figure} |")


if __name__ == "__main__":
    main()
