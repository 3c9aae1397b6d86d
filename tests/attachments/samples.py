"""Media made on the spot for the tests and benchmarks: Pillow images, PyAV clips.

Nothing is downloaded; every clip is encoded here, so each test says what it holds.
"""

import io
import struct
import zlib
from fractions import Fraction

import av
import numpy as np
from PIL import Image


def image_bytes(
    image_format: str = "PNG", size=(64, 48), *, color=(254, 44, 85), exif=None, **options
) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif is not None:
        options["exif"] = exif
    image.save(out, image_format, **options)
    return out.getvalue()


def noisy_jpeg(size=(4000, 3000), quality=90) -> bytes:
    """A photo-like JPEG (noise compresses like a real photo, unlike a flat colour)."""
    rng = np.random.default_rng(7)
    width, height = size
    gradient = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    pixels = (gradient + rng.normal(0, 40, (height, width, 3))).clip(0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def gps_exif() -> bytes:
    """EXIF with a camera make and a GPS position, as phones write them."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)  # latitude
    gps[3], gps[4] = "W", (0.0, 7.0, 0.0)  # longitude
    return exif.tobytes()


def png_bomb(side: int = 30000) -> bytes:
    """A PNG whose header says `side` x `side` RGB pixels (2.7 GB decoded) in a few KB.

    Only the first rows' data follow: a decoder that trusted the header would allocate
    the whole image before noticing.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress((b"\x00" + b"\x00" * side * 3) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def _encode_audio(container, codec: str, seconds: float, rate: int = 48000) -> None:
    stream = container.add_stream(codec, rate=rate)
    stream.layout = "mono"
    samples_per_frame = 960 if codec in {"libopus", "opus"} else 1024
    total = int(seconds * rate)
    pts = 0
    while pts < total:
        count = min(samples_per_frame, total - pts)
        t = (np.arange(pts, pts + count) / rate).astype(np.float32)
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, pts
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
        pts += count
    for packet in stream.encode(None):
        container.mux(packet)


def voice_note(seconds: float = 2.0, container_format: str = "webm", *, metadata=None) -> bytes:
    """A voice note: Opus in WebM or Ogg, or AAC in MP4 (`mp4`)."""
    out = io.BytesIO()
    codec = "aac" if container_format == "mp4" else "libopus"
    with av.open(out, "w", format=container_format) as container:
        container.metadata.update(metadata or {})
        _encode_audio(container, codec, seconds)
    return out.getvalue()


def video_clip(
    seconds: float = 1.0,
    container_format: str = "mp4",
    size=(160, 120),
    *,
    sound=True,
    metadata=None,
) -> bytes:
    """A short video: H.264 (+ AAC) in MP4, or VP8 (+ Opus) in WebM; `metadata`: the
    container's tags, as a phone writes its position and make."""
    out = io.BytesIO()
    fps = 10
    video_codec = "libx264" if container_format == "mp4" else "libvpx"
    with av.open(out, "w", format=container_format) as container:
        container.metadata.update(metadata or {})
        stream = container.add_stream(video_codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        audio = None
        if sound:
            audio = container.add_stream("aac" if container_format == "mp4" else "libopus")
            audio.rate, audio.layout = 48000, "mono"
        for index in range(int(seconds * fps)):
            pixels = np.full((size[1], size[0], 3), (index * 20) % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if audio is not None:
            samples = 1024 if container_format == "mp4" else 960
            for index in range(int(seconds * 48000 / samples)):
                frame = av.AudioFrame.from_ndarray(
                    np.zeros((1, samples), np.float32), format="fltp", layout="mono"
                )
                frame.sample_rate, frame.pts = 48000, index * samples
                for packet in audio.encode(frame):
                    container.mux(packet)
            for packet in audio.encode(None):
                container.mux(packet)
    return out.getvalue()


def empty_mp4() -> bytes:
    """A valid MP4 container (`ftyp` + `moov`) with no stream at all."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4"):
        pass
    data = out.getvalue()
    if data[4:8] != b"ftyp":  # FFmpeg may write nothing for a stream-less file
        ftyp = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
        moov = b"\x00\x00\x00\x08moov"
        data = ftyp + moov
    return data
