import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.LANGUAGE_CODE, s.DEBUG, s.REDIS_URL, s.ALLOWED_HOSTS]))"
)
SPEC_VARS = ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "TIME_ZONE", "LANGUAGE_CODE")


def run_python(code, env_overrides=None, settings="config.settings"):
    env = {k: v for k, v in os.environ.items() if k not in SPEC_VARS}
    env["DJANGO_SETTINGS_MODULE"] = settings
    env.update(env_overrides or {})
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_settings_load_with_no_environment_and_default_to_sqlite_shanghai_and_chinese():
    result = run_python(PROBE)
    assert result.returncode == 0, result.stderr
    engine, tz, lang, debug, redis, hosts = __import__("json").loads(result.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert (tz, lang, debug, redis) == ("Asia/Shanghai", "zh-hans", False, "redis://127.0.0.1:6379/0")
    assert "127.0.0.1" in hosts


def test_settings_read_every_spec_variable_from_the_environment():
    result = run_python(PROBE, {
        "DATABASE_URL": "postgres://u@db.example:5433/jc", "REDIS_URL": "redis://cache:6380/2", "DEBUG": "true",
        "TIME_ZONE": "Europe/Berlin", "LANGUAGE_CODE": "en", "ALLOWED_HOSTS": "a.example, b.example",
    })
    assert result.returncode == 0, result.stderr
    engine, tz, lang, debug, redis, hosts = __import__("json").loads(result.stdout)
    assert engine == "django.db.backends.postgresql"
    assert (tz, lang, debug, redis, hosts) == ("Europe/Berlin", "en", True, "redis://cache:6380/2", ["a.example", "b.example"])


def test_a_bad_value_stops_the_start_with_a_message_naming_the_variable():
    for name, value, expected in [
        ("TIME_ZONE", "Mars/Olympus", "TIME_ZONE='Mars/Olympus' is not an IANA time zone"),
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("LANGUAGE_CODE", "fr", "LANGUAGE_CODE='fr' must be one of: en, zh-hans"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL='mysql://x/y' is not supported"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL='localhost:6379' is not a Redis URL"),
    ]:
        result = run_python(PROBE, {name: value})
        assert result.returncode != 0
        assert expected in result.stderr, (name, result.stderr[-500:])


def test_production_settings_pass_check_deploy_without_warnings_when_given_real_values():
    env = {"SECRET_KEY": "x7!kq" * 12, "DEBUG": "0", "ALLOWED_HOSTS": "journeys.example.com"}
    result = run_python("import sys; from django.core.management import execute_from_command_line as e; "
                        "e(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])", env, settings="config.production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_python(PROBE, {"DEBUG": "0"}, settings="config.production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
