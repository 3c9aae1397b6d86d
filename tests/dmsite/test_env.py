"""dmsite.env: typed readers that refuse wrong values by naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from dmsite.env import (
    Rate,
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_region_ages,
    env_str,
    env_word_list,
)

NAME = "DMSITE_TEST_VARIABLE"


@pytest.fixture
def env(monkeypatch):
    def set_value(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(NAME, raising=False)
        else:
            monkeypatch.setenv(NAME, value)

    return set_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Rate(30, 60)),
        ("", Rate(30, 60)),
        ("5/3600", Rate(5, 3600)),
        (" 10/900 ", Rate(10, 900)),
        ("1/1", Rate(1, 1)),
    ],
)
def test_env_rate_reads(env, value, expected):
    env(value)
    rate = env_rate(NAME, "30/60")
    assert rate == expected
    assert str(rate) == f"{expected.count}/{expected.seconds}"


@pytest.mark.parametrize(
    "value",
    ["abc", "0/60", "30", "30/0", "30/", "/60", "-1/60", "30/-5", "30/60/90", "1.5/60", "x/60"],
)
def test_env_rate_refuses(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_rate(NAME, "30/60")


def test_env_rate_refuses_a_bad_default():
    with pytest.raises(ImproperlyConfigured, match="UNSET_DMSITE_RATE"):
        env_rate("UNSET_DMSITE_RATE", "often")


@pytest.mark.parametrize(
    ("value", "minimum", "expected"),
    [(None, 0, 7), ("", 0, 7), ("0", 0, 0), ("42", 0, 42), (" 12 ", 1, 12), ("1", 1, 1)],
)
def test_env_int_reads(env, value, minimum, expected):
    env(value)
    assert env_int(NAME, 7, minimum=minimum) == expected


@pytest.mark.parametrize(
    ("value", "minimum"),
    [("x", 0), ("-1", 0), ("1.5", 0), ("1e3", 0), ("ten", 1), ("0", 1), ("1023", 1024)],
)
def test_env_int_refuses(env, value, minimum):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_int(NAME, 7, minimum=minimum)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        ("", True),
        ("1", True),
        ("true", True),
        ("Yes", True),
        (" ON ", True),
        ("0", False),
        ("false", False),
        ("NO", False),
        ("off", False),
    ],
)
def test_env_bool_reads(env, value, expected):
    env(value)
    assert env_bool(NAME, True) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "y", "n", "tru", "enabled"])
def test_env_bool_refuses(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_bool(NAME, False)


def test_env_str_and_env_list(env):
    env(None)
    assert env_str(NAME, "fallback") == "fallback"
    assert env_list(NAME, ["a"]) == ["a"]
    env(" a.example, ,b.example ,")
    assert env_str(NAME, "fallback") == " a.example, ,b.example ,"
    assert env_list(NAME, ["a"]) == ["a.example", "b.example"]
    env("")
    assert env_list(NAME, ["a"]) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ("", {}),
        ("   ", {}),
        ("GB=18", {"GB": 18}),
        ("GB=18,fr=15", {"GB": 18, "FR": 15}),
        (" gb = 18 , FR=15, ", {"GB": 18, "FR": 15}),
        ('{"GB": 18, "fr": 15}', {"GB": 18, "FR": 15}),
        ('{"XX": "17"}', {"XX": 17}),
        ("{}", {}),
    ],
)
def test_env_region_ages_reads(env, value, expected):
    env(value)
    assert env_region_ages(NAME) == expected


@pytest.mark.parametrize(
    "value",
    [
        "GB=x",
        "GBR=18",
        '{"GB": "x"}',
        "GB",
        "GB=",
        "=18",
        "G=18",
        "G1=18",
        "GB=0",
        "GB=100",
        "GB=-1",
        "GB=18;FR=15",
        "ÉÉ=18",
        "ß=18",
        '{"GB": 18',
        '{"GB": 18.5}',
        '{"GB": true}',
        '{"GB": null}',
        '{"GB": [18]}',
        '{"GBR": 18}',
        "[18]",
    ],
)
def test_env_region_ages_refuses(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_region_ages(NAME)


TEST_KEY = "dmsite-settings-test-key-" + "s" * 40
SETUP = "import django; django.setup(); from django.conf import settings; "


def load_settings(script: str, **variables: str) -> subprocess.CompletedProcess:
    """Start Django in a fresh interpreter with the given environment variables."""
    environment = {
        key: item
        for key, item in os.environ.items()
        if not key.startswith(("RATE_", "PHONE_", "DM_", "DJANGO_", "ACCOUNT_"))
    }
    environment.update(
        {"DJANGO_SETTINGS_MODULE": "dmsite.settings", "DJANGO_SECRET_KEY": TEST_KEY, **variables}
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SETUP + script],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RATE_MESSAGES", "oops"),
        ("RATE_LOGIN", "10/0"),
        ("RATE_REACTIONS", "many"),
        ("PHONE_CODE_TTL", "0"),
        ("DJANGO_DEBUG", "maybe"),
        ("DM_MIN_AGE_BY_REGION", "GB=old"),
        ("DATABASE_POOL_MAX", "many"),
        ("DATABASE_POOL_MAX", "-1"),
        ("DATABASE_POOL_TIMEOUT", "0"),
    ],
)
def test_settings_refuse_to_load_with_a_bad_value(variable, value):
    result = load_settings("print('loaded')", **{variable: value})
    assert result.returncode != 0
    assert "loaded" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_rate_reactions_is_read_from_the_environment():
    default = load_settings("print(settings.RATE_REACTIONS)")
    chosen = load_settings("print(settings.RATE_REACTIONS)", RATE_REACTIONS="5/30")

    assert (default.returncode, chosen.returncode) == (0, 0), default.stderr + chosen.stderr
    assert (default.stdout.strip(), chosen.stdout.strip()) == ("120/60", "5/30")


def test_settings_load_with_good_values():
    result = load_settings(
        "print(settings.RATE_MESSAGES, settings.DM_MIN_AGE_BY_REGION)",
        RATE_MESSAGES="7/11",
        DM_MIN_AGE_BY_REGION="GB=18,fr=15",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "7/11 {'GB': 18, 'FR': 15}"


@pytest.mark.parametrize("debug", [None, "0", "off"])
def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off(debug):
    variables = {"DJANGO_SECRET_KEY": ""}
    if debug is not None:
        variables["DJANGO_DEBUG"] = debug
    result = load_settings("print('loaded')", **variables)
    assert result.returncode != 0
    assert "loaded" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_settings_use_the_given_secret_key_when_debug_is_off():
    result = load_settings("print(settings.DEBUG, settings.SECRET_KEY)", DJANGO_DEBUG="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", TEST_KEY]


def test_only_debug_falls_back_to_the_development_key():
    result = load_settings(
        "print(settings.DEBUG, settings.SECRET_KEY)", DJANGO_DEBUG="1", DJANGO_SECRET_KEY=""
    )
    assert result.returncode == 0, result.stderr
    debug, key = result.stdout.split()
    assert debug == "True"
    assert key.startswith("django-insecure-")  # `check --deploy` flags it (security.W009)


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [(None, "None"), ("0", "None"), ("1", "('HTTP_X_FORWARDED_PROTO', 'https')")],
)
def test_x_forwarded_proto_is_trusted_only_behind_a_configured_proxy(proxies, expected):
    variables = {} if proxies is None else {"TRUSTED_PROXY_COUNT": proxies}
    result = load_settings("print(settings.SECURE_PROXY_SSL_HEADER)", **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


POSTGRES = "postgres://dmsite@127.0.0.1:5432/dmsite"  # never connected to: settings only


def test_postgres_goes_through_the_psycopg_pool_sized_by_database_pool_max():
    result = load_settings(
        "d = settings.DATABASES['default']; p = d['OPTIONS']['pool']; "
        "print(p, d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['ENGINE'])",
        DATABASE_URL=POSTGRES,
        DATABASE_POOL_MAX="7",
        DATABASE_CONN_MAX_AGE="60",  # a pool and persistent connections exclude each other
    )
    assert result.returncode == 0, result.stderr
    # dmsite's backend checks each loan instead of Django's probe (dmsite/postgresql).
    assert result.stdout.strip() == (
        "{'min_size': 2, 'max_size': 7, 'timeout': 10} 0 False dmsite.postgresql"
    )


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "True 5"),
        ({"DATABASE_POOL_MAX": "0"}, "True 5"),
        ({"DATABASE_PREPARED_STATEMENTS": "0"}, "None None"),
    ],
)
def test_postgres_statements_are_bound_and_prepared_on_the_server_unless_turned_off(
    variables, expected
):
    result = load_settings(
        "o = settings.DATABASES['default']['OPTIONS']; "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))",
        DATABASE_URL=POSTGRES,
        **variables,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_database_pool_max_zero_turns_the_pool_off():
    result = load_settings(
        "d = settings.DATABASES['default']; print('pool' in d['OPTIONS'], d['CONN_MAX_AGE'])",
        DATABASE_URL=POSTGRES,
        DATABASE_POOL_MAX="0",
        DATABASE_CONN_MAX_AGE="60",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False 60"


def test_sqlite_waits_for_the_write_lock_and_takes_it_at_begin():
    result = load_settings(
        "o = settings.DATABASES['default']['OPTIONS']; "
        "print(o['transaction_mode'], o['timeout'], o['init_command'])",
        DATABASE_URL="sqlite:////tmp/dmsite-settings-check.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "IMMEDIATE 20 PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
    )


def test_env_word_list_reads_the_default_file(env, tmp_path):
    default = tmp_path / "words.txt"
    default.write_text("# a comment\n\nalpha\n  beta gamma  \nalpha\nÄrger\n", encoding="utf-8")
    env(None)
    assert env_word_list(NAME, str(default)) == ("alpha", "beta gamma", "Ärger")


def test_env_word_list_reads_the_file_the_variable_names(env, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("delta\n", encoding="utf-8")
    env(str(other))
    assert env_word_list(NAME, str(tmp_path / "missing.txt")) == ("delta",)
    other.write_text("", encoding="utf-8")
    assert env_word_list(NAME, "unused") == ()


@pytest.mark.parametrize("problem", ["missing", "directory", "latin-1", "binary"])
def test_env_word_list_refuses_a_missing_or_non_utf8_file(env, tmp_path, problem):
    path = tmp_path / "words.txt"
    if problem == "directory":
        path.mkdir()
    elif problem == "latin-1":
        path.write_bytes("Ärger\n".encode("latin-1"))
    elif problem == "binary":
        path.write_bytes(b"\xff\xfe\x00\x00bad")
    env(str(path))
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_word_list(NAME, "unused")


@pytest.mark.parametrize("problem", ["missing", "latin-1"])
def test_settings_refuse_to_start_with_a_bad_word_list(tmp_path, problem):
    path = tmp_path / "words.txt"
    if problem == "latin-1":
        path.write_bytes("Ärger\n".encode("latin-1"))
    result = load_settings("print('loaded')", DM_FILTER_WORDLIST=str(path))
    assert result.returncode != 0
    assert "loaded" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "DM_FILTER_WORDLIST" in result.stderr


def test_settings_load_a_replacement_word_list(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("only this\n", encoding="utf-8")
    result = load_settings("print(settings.DM_FILTER_WORDS)", DM_FILTER_WORDLIST=str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('only this',)"
