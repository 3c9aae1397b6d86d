"""What an uploaded file really is, decided from its bytes (never its name or declared type).

Images go through Pillow: opened with only the JPEG, PNG, WebP and GIF decoders, their
pixel count checked from the header before anything is decoded (decompression bombs),
decoded in full (a truncated file fails here), then re-encoded from bare pixels so no
metadata (EXIF, GPS, comments, ICC) survives, with a WebP thumbnail of at most 480 px.

Audio and video go through PyAV (FFmpeg). The container is chosen from the file's magic
bytes (MP4 `ftyp`, WebM/Matroska EBML, Ogg), so FFmpeg never probes for other formats
(playlists that open other files, raw streams); only the codecs browsers play are
accepted, every packet is demuxed to find the real duration (MediaRecorder's WebM has
none in its header), and the first video frame becomes the poster. What is stored is a
remux of the one video and one audio stream into a new container, packets copied and
nothing else: the file's metadata (a phone's GPS position, its make, the title, timed
metadata tracks) stays behind, MP4s get their index first (`faststart`, so playback starts
before the download ends) and MediaRecorder's WebM gets the duration and cues it lacked.
"""

import io
import tempfile
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import av
from django.conf import settings
from PIL import Image, ImageOps, ImageSequence

from attachments.errors import UnsupportedMedia, VideoTooLong, VoiceTooLong
from attachments.models import Kind
from dmsite.errors import ApiError

THUMBNAIL_SIZE = 480
AVATAR_SIZE = 512
# A recording stopped at exactly VOICE_MAX_SECONDS ends a few frames later.
DURATION_GRACE_MS = 500

# Pillow format → (content type, extension)
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}

# container family → FFmpeg muxer and its options for the stored copy
_MUXERS = {
    "mp4": ("mp4", {"movflags": "+faststart"}),
    "webm": ("webm", {}),
    "ogg": ("ogg", {}),
}

# container family → (FFmpeg demuxer, video codecs, audio codecs of a video, voice codecs)
_CONTAINERS = {
    "mp4": ("mov", {"h264", "hevc", "av1", "vp9"}, {"aac", "opus"}, {"aac"}),
    "webm": ("matroska", {"vp8", "vp9", "av1"}, {"opus", "vorbis"}, {"opus"}),
    "ogg": ("ogg", set(), set(), {"opus"}),
}


@dataclass
class Processed:
    """A checked upload, ready to store."""

    kind: str
    content_type: str
    extension: str
    width: int | None
    height: int | None
    duration_ms: int | None
    # Re-encoded bytes (images) or a temporary file holding the remux (audio, video).
    original: bytes | BinaryIO | None
    thumbnail: bytes | None  # WebP, or None (voice notes)


def _too_many_pixels() -> UnsupportedMedia:
    return UnsupportedMedia(
        f"This image has more than {settings.MEDIA_MAX_PIXELS:,} pixels.".replace(",", " ")
    )


def _open_image(file) -> Image.Image | None:
    """The image Pillow recognises in `file` (header only), or None when it is not one."""
    file.seek(0)
    Image.MAX_IMAGE_PIXELS = settings.MEDIA_MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=list(IMAGE_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:
            return None
    width, height = image.size
    if width < 1 or height < 1 or width * height > settings.MEDIA_MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _bare(image: Image.Image) -> Image.Image:
    """The pixels alone, in a mode every encoder takes: no metadata can follow."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    if image.mode not in {"L", "LA", "RGB", "RGBA"}:
        image = image.convert("RGBA" if has_alpha else "RGB")
    bare = Image.new(image.mode, image.size)
    bare.paste(image)
    return bare


def _encode(image: Image.Image, image_format: str, **options) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG" and image.mode not in {"L", "RGB"}:
        image = image.convert("RGB")
    image.save(out, image_format, **options)
    return out.getvalue()


def _thumbnail(image: Image.Image, size: int = THUMBNAIL_SIZE) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((size, size))
    return _encode(thumb, "WEBP", quality=80)


def _decoded(image: Image.Image) -> tuple[list[Image.Image], list[int]]:
    """Every frame decoded and bare (GIFs may be animated), with each frame's duration.

    Refuses what does not decode.
    """
    frame_count = getattr(image, "n_frames", 1)
    width, height = image.size
    if frame_count * width * height > settings.MEDIA_MAX_PIXELS:
        raise _too_many_pixels()
    try:
        if image.format == "GIF" and frame_count > 1:
            frames, durations = [], []
            for frame in ImageSequence.Iterator(image):
                durations.append(frame.info.get("duration", 100))
                frames.append(_bare(frame.convert("RGBA")))
            return frames, durations
        image.load()
        return [_bare(ImageOps.exif_transpose(image))], [0]
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:
        raise UnsupportedMedia("This image is damaged and cannot be opened.") from None


def _process_image(image: Image.Image) -> Processed:
    image_format = image.format
    loop = image.info.get("loop", 0)
    frames, durations = _decoded(image)
    first = frames[0]
    if len(frames) > 1:
        out = io.BytesIO()
        first.save(
            out,
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=loop,
            disposal=2,
        )
        original = out.getvalue()
    elif image_format in {"JPEG", "WEBP"}:
        original = _encode(first, image_format, quality=88)
    else:
        original = _encode(first, image_format)
    content_type, extension = IMAGE_FORMATS[image_format]
    return Processed(
        kind=Kind.IMAGE,
        content_type=content_type,
        extension=extension,
        width=first.width,
        height=first.height,
        duration_ms=None,
        original=original,
        thumbnail=_thumbnail(first),
    )


def _container_family(file) -> str | None:
    file.seek(0)
    head = file.read(12)
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"OggS":
        return "ogg"
    return None


def _process_av(file, family: str) -> Processed:
    demuxer, video_codecs, video_audio_codecs, voice_codecs = _CONTAINERS[family]
    file.seek(0)
    try:
        with av.open(file, format=demuxer, metadata_errors="ignore") as container:
            processed = _inspect_container(
                container, family, video_codecs, video_audio_codecs, voice_codecs
            )
        file.seek(0)
        with av.open(file, format=demuxer, metadata_errors="ignore") as container:
            processed.original = _remux(container, family)
    except ApiError:
        raise
    except Exception:
        raise UnsupportedMedia("This file is damaged and cannot be played.") from None
    return processed


def _remux(container, family: str) -> BinaryIO:
    """The first video and audio streams' packets in a new container, on disk, and nothing
    else of the upload: no container or stream metadata, no data or subtitle tracks."""
    muxer, options = _MUXERS[family]
    video, audio = container.streams.video, container.streams.audio
    inputs = [streams[0] for streams in (video, audio) if streams]
    # FFmpeg writes the path itself: `faststart` reopens it to move the index to the front.
    copy = tempfile.NamedTemporaryFile()  # noqa: SIM115 (the caller stores, then closes it)
    try:
        with av.open(copy.name, "w", format=muxer, options=options) as output:
            outputs = {}
            for stream in inputs:
                outputs[stream.index] = output.add_stream_from_template(stream)
                outputs[stream.index].metadata.clear()
            for packet in container.demux(*inputs):
                if packet.dts is None:
                    continue  # the flush packet at the end of each stream
                packet.stream = outputs[packet.stream.index]
                output.mux(packet)
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return copy


def _inspect_container(container, family, video_codecs, video_audio_codecs, voice_codecs):
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    if video is None and audio is None:
        raise UnsupportedMedia("This file has no sound or picture.")
    if video is not None:
        kind, limit_seconds = Kind.VIDEO, settings.VIDEO_MAX_SECONDS
        accepted = video.codec_context.name in video_codecs and (
            audio is None or audio.codec_context.name in video_audio_codecs
        )
        width, height = video.codec_context.width, video.codec_context.height
        if width * height > settings.MEDIA_MAX_PIXELS:
            raise _too_many_pixels()
    else:
        kind, limit_seconds = Kind.VOICE, settings.VOICE_MAX_SECONDS
        accepted = audio.codec_context.name in voice_codecs
        width = height = None
    if not accepted:
        raise UnsupportedMedia("This file's format cannot be played in every browser.")

    streams = [stream for stream in (video, audio) if stream is not None]
    end_seconds, packets, poster, heard = 0.0, 0, None, audio is None
    for packet in container.demux(*streams):
        if packet.pts is None or packet.time_base is None:
            continue  # the flush packet at the end of each stream
        packets += 1
        end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
        end_seconds = max(end_seconds, end)
        if end_seconds * 1000 > limit_seconds * 1000 + DURATION_GRACE_MS:
            break
        if video is not None and poster is None and packet.stream.index == video.index:
            for frame in packet.decode():
                poster = frame.to_image()
                break
        elif audio is not None and not heard and packet.stream.index == audio.index:
            heard = bool(packet.decode())
    duration_ms = round(end_seconds * 1000)
    if duration_ms > limit_seconds * 1000 + DURATION_GRACE_MS:
        error = VideoTooLong if kind == Kind.VIDEO else VoiceTooLong
        raise error(f"This {kind.label.lower()} is longer than {limit_seconds} seconds.")
    if packets == 0 or not heard or (video is not None and poster is None):
        raise UnsupportedMedia("This file is damaged and cannot be played.")
    major = "video" if kind == Kind.VIDEO else "audio"
    extension = {"mp4": ".mp4" if kind == Kind.VIDEO else ".m4a", "webm": ".webm"}.get(
        family, ".ogg"
    )
    return Processed(
        kind=kind,
        content_type=f"{major}/{family}",
        extension=extension,
        width=width,
        height=height,
        duration_ms=duration_ms,
        original=None,
        thumbnail=_thumbnail(_bare(poster)) if poster is not None else None,
    )


def process_upload(file) -> Processed:
    """Decide what `file` is and check it (SPEC section 10); the refusal's error otherwise."""
    image = _open_image(file)
    if image is not None:
        with image:
            return _process_image(image)
    family = _container_family(file)
    if family is None:
        raise UnsupportedMedia()
    return _process_av(file, family)


def process_avatar(file) -> bytes:
    """A profile photo: an image that passes the same checks, cropped square, ≤ 512 px, WebP."""
    image = _open_image(file)
    if image is None:
        raise UnsupportedMedia("A profile photo must be a JPEG, PNG, WebP or GIF image.")
    with image:
        frames, _ = _decoded(image)  # an animated GIF: its first frame
    first = frames[0]
    side = min(first.width, first.height, AVATAR_SIZE)
    return _encode(ImageOps.fit(first, (side, side)), "WEBP", quality=85)
