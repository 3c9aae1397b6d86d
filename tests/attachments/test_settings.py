"""The media limits and storage come from the environment, like every other setting."""

import pytest

from tests.dmsite.test_env import load_settings

MEDIA_VARIABLES = [
    "MEDIA_MAX_BYTES",
    "MEDIA_MAX_PIXELS",
    "VOICE_MAX_SECONDS",
    "VIDEO_MAX_SECONDS",
    "MEDIA_MAX_PER_MESSAGE",
    "MEDIA_S3_URL_SECONDS",
]


def test_defaults_are_specs():
    result = load_settings(
        "print(settings.MEDIA_MAX_BYTES, settings.MEDIA_MAX_PIXELS, settings.VOICE_MAX_SECONDS,"
        " settings.VIDEO_MAX_SECONDS, settings.MEDIA_MAX_PER_MESSAGE, settings.RATE_UPLOADS,"
        " settings.STORAGES['default']['BACKEND'], settings.MEDIA_ROOT.name)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "26214400",
        "40000000",
        "60",
        "180",
        "9",
        "60/3600",
        "django.core.files.storage.FileSystemStorage",
        "media",
    ]


def test_every_limit_reads_its_variable():
    result = load_settings(
        "print(settings.MEDIA_MAX_BYTES, settings.MEDIA_MAX_PIXELS, settings.VOICE_MAX_SECONDS,"
        " settings.VIDEO_MAX_SECONDS, settings.MEDIA_MAX_PER_MESSAGE, settings.RATE_UPLOADS)",
        MEDIA_MAX_BYTES="1000",
        MEDIA_MAX_PIXELS="2000",
        VOICE_MAX_SECONDS="30",
        VIDEO_MAX_SECONDS="90",
        MEDIA_MAX_PER_MESSAGE="4",
        RATE_UPLOADS="5/60",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1000", "2000", "30", "90", "4", "5/60"]


def test_a_bucket_switches_storage_to_s3():
    result = load_settings(
        "d = settings.STORAGES['default']; o = d['OPTIONS'];"
        " print(d['BACKEND'], o['bucket_name'], o['endpoint_url'], o['querystring_expire'])",
        MEDIA_S3_BUCKET="media-bucket",
        MEDIA_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        MEDIA_S3_URL_SECONDS="30",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "storages.backends.s3.S3Storage",
        "media-bucket",
        "http://127.0.0.1:9000",
        "30",
    ]


@pytest.mark.parametrize("variable", [*MEDIA_VARIABLES, "RATE_UPLOADS"])
def test_a_bad_value_stops_start_up_naming_it(variable):
    result = load_settings(
        "print('loaded')", **{variable: "0" if variable != "RATE_UPLOADS" else "x"}
    )
    assert result.returncode != 0
    assert "loaded" not in result.stdout
    assert variable in result.stderr
