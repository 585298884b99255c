"""Environment helpers fail loudly on bad values."""

from __future__ import annotations

import pytest

from itsm.core.env import ImproperEnvironment, env_bool, env_int, env_list, env_str


def test_env_bool_accepts_common_spellings(monkeypatch):
    monkeypatch.setenv("ITSM_FLAG", "Yes")
    assert env_bool("ITSM_FLAG") is True
    monkeypatch.setenv("ITSM_FLAG", "off")
    assert env_bool("ITSM_FLAG", True) is False


def test_env_bool_rejects_a_typo(monkeypatch):
    monkeypatch.setenv("ITSM_FLAG", "ture")
    with pytest.raises(ImproperEnvironment, match="ITSM_FLAG='ture' is not a boolean"):
        env_bool("ITSM_FLAG")


def test_env_int_rejects_text(monkeypatch):
    monkeypatch.setenv("ITSM_N", "ten")
    with pytest.raises(ImproperEnvironment, match="not an integer"):
        env_int("ITSM_N", 3)
    monkeypatch.delenv("ITSM_N")
    assert env_int("ITSM_N", 3) == 3


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("ITSM_HOSTS", " a.example , ,b.example")
    assert env_list("ITSM_HOSTS", []) == ["a.example", "b.example"]


def test_env_str_reads_a_secret_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret-value\n")
    monkeypatch.setenv("ITSM_KEY_FILE", str(secret))
    assert env_str("ITSM_KEY") == "s3cret-value"
    monkeypatch.setenv("ITSM_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperEnvironment, match="cannot be read"):
        env_str("ITSM_KEY")


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
