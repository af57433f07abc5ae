import pytest
from django.core.exceptions import ImproperlyConfigured

from catalytic import env


def test_it_names_the_variable_when_an_integer_is_bad(monkeypatch):
    monkeypatch.setenv("WORKERS", "two")
    with pytest.raises(ImproperlyConfigured, match="WORKERS='two' is not an integer"):
        env.env_int("WORKERS", 2)


def test_it_refuses_an_integer_below_its_minimum(monkeypatch):
    monkeypatch.setenv("WORKERS", "0")
    with pytest.raises(ImproperlyConfigured, match="WORKERS=0 must be at least 1"):
        env.env_int("WORKERS", 2, minimum=1)


def test_it_names_the_variable_when_a_boolean_is_bad(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        env.env_bool("DEBUG")


@pytest.mark.parametrize("raw,expected", [("true", True), ("0", False), ("Yes", True)])
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env.env_bool("FLAG") is expected


def test_it_reads_a_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t-value\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env.env_secret("SECRET_KEY") == "s3cr3t-value"


def test_it_fails_loudly_on_an_unreadable_secret_file(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FILE"):
        env.env_secret("SECRET_KEY")


def test_it_rejects_a_url_without_an_allowed_scheme(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://user:hunter2@cache:6379")
    with pytest.raises(ImproperlyConfigured) as error:
        env.env_url("REDIS_URL", schemes=("redis",))
    assert "hunter2" not in str(error.value)


def test_it_masks_passwords_in_urls():
    masked = env.mask_url("postgresql://catalytic:s3cret@db.internal:5432/catalytic_saas")
    assert masked == "postgresql://catalytic:****@db.internal:5432/catalytic_saas"
    assert env.mask_url("sqlite:///catalytic.db") == "sqlite:///catalytic.db"


def test_it_builds_the_redis_url_from_the_seed_variables(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_HOST", "cache.internal")
    monkeypatch.setenv("REDIS_PORT", "6380")
    monkeypatch.setenv("REDIS_PASSWORD", "p@ss")
    assert env.redis_url_from_env() == "redis://:p%40ss@cache.internal:6380/0"


@pytest.mark.parametrize("raw", ["10/m", "20/h", "5/10s", ""])
def test_it_reads_rates_and_the_empty_rate_that_disables(monkeypatch, raw):
    monkeypatch.setenv("RATELIMIT_LOGIN", raw)
    assert env.env_rate("RATELIMIT_LOGIN", "10/m") == raw


@pytest.mark.parametrize("raw", ["10", "ten/m", "10/w", "10/m/h"])
def test_it_names_the_variable_when_a_rate_is_bad(monkeypatch, raw):
    monkeypatch.setenv("RATELIMIT_LOGIN", raw)
    with pytest.raises(ImproperlyConfigured, match="RATELIMIT_LOGIN=.* is not a rate like 10/m"):
        env.env_rate("RATELIMIT_LOGIN", "10/m")


def test_the_metrics_folder_is_made_by_the_entry_point_not_by_settings(monkeypatch, tmp_path):
    folder = tmp_path / "deep" / "metrics"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    env.prepare_metrics_dir()
    assert folder.is_dir()
