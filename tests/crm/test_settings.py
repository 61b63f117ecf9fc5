"""Per-PC settings of the CRM client: defaults, round trip, atomic private file, unknown keys
kept, bad values refused naming the field, the client's own password protection."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from callcenter.crm_client.settings import (
    AREAS,
    CrmSettings,
    LocalUser,
    SettingsError,
    check_password,
    default_data_dir,
    hash_password,
    load_settings,
    save_settings,
    settings_path,
)


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    s = load_settings(tmp_path / "nothing-here")
    assert s == CrmSettings()
    assert (s.server_port, s.device, s.language, s.tls) == (7600, "normal", "zh", False)
    assert not s.configured and not s.network_mode and not s.password_protection


def test_round_trip_private_file_and_unknown_keys_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    s = CrmSettings(server_host="192.168.1.122", server_port=7601, extension="002",
                    device="headset", user="alice", language="en", shared_folder="/mnt/crm")
    path = save_settings(data, s)
    assert path == settings_path(data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(data) == s
    # a newer version's key survives a save by this one
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["future_option"] = {"x": 1}
    path.write_text(json.dumps(raw), encoding="utf-8")
    loaded = load_settings(data)
    save_settings(data, replace(loaded, user="bob"))
    again = json.loads(path.read_text(encoding="utf-8"))
    assert again["future_option"] == {"x": 1} and again["user"] == "bob"
    assert not [p for p in data.iterdir() if p.name != "settings.json"]  # no temporary left
    assert "password" not in path.read_text(encoding="utf-8").replace("password_", "")


@pytest.mark.parametrize(("field", "value", "allowed"), [
    ("server_port", 0, "1-65535"),
    ("server_port", "7600", "1-65535"),
    ("extension", "12", "three digits"),
    ("extension", "000", "three digits"),
    ("device", "phone", "normal, proprietary, headset"),
    ("language", "fr", "zh, en"),
    ("tls", "yes", "true or false"),
    ("server_host", "bad host!", "host name or IP"),
])
def test_a_bad_value_is_refused_naming_the_field(tmp_path: Path, field: str, value: object,
                                                 allowed: str) -> None:
    with pytest.raises(SettingsError) as caught:
        CrmSettings(**{field: value})  # type: ignore[arg-type]
    assert repr(field) in str(caught.value) and allowed in str(caught.value)
    path = settings_path(tmp_path)
    path.write_text(json.dumps({field: value}), encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path)
    assert str(path) in str(caught.value) and repr(field) in str(caught.value)


def test_a_corrupt_file_is_a_clear_error_and_a_failed_save_changes_nothing(tmp_path: Path
                                                                           ) -> None:
    path = settings_path(tmp_path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SettingsError, match="not JSON"):
        load_settings(tmp_path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(SettingsError, match="one JSON object"):
        load_settings(tmp_path)
    good = CrmSettings(server_host="h", extension="003")
    save_settings(tmp_path, good)
    with pytest.raises(SettingsError):
        save_settings(tmp_path, replace(good, device="fax"))
    assert load_settings(tmp_path) == good


def test_password_protection_starts_with_admin_admin(tmp_path: Path) -> None:
    s = CrmSettings().with_password_protection(True)
    admin = s.authenticate("admin", "admin")
    assert admin is not None and admin.must_change and admin.areas == frozenset(AREAS)
    assert s.authenticate("admin", "wrong") is None
    assert s.authenticate("nobody", "admin") is None
    assert admin.password_hash.startswith("scrypt$") and "admin" not in admin.password_hash[7:]
    s = s.with_local_user("admin", "n3w-secret").with_local_user(
        "clerk", "clerk-pw", areas=["customers", "call_log"])
    save_settings(tmp_path, s)
    loaded = load_settings(tmp_path)
    assert loaded.authenticate("admin", "admin") is None
    admin2 = loaded.authenticate("admin", "n3w-secret")
    assert admin2 is not None and not admin2.must_change
    clerk = loaded.authenticate("clerk", "clerk-pw")
    assert clerk is not None and clerk.may("customers") and not clerk.may("settings")
    text = settings_path(tmp_path).read_text(encoding="utf-8")
    assert "n3w-secret" not in text and "clerk-pw" not in text
    # off keeps the users for next time; on again does not reset them to admin/admin
    assert loaded.with_password_protection(False).with_password_protection(True) \
        .authenticate("admin", "n3w-secret") is not None


def test_local_user_rules() -> None:
    with pytest.raises(SettingsError, match=r"local_users\.areas"):
        LocalUser("x", hash_password("p"), frozenset({"everything"}))
    with pytest.raises(SettingsError, match=r"local_users\.name"):
        LocalUser("two words", hash_password("p"))
    with pytest.raises(SettingsError, match="scrypt"):
        LocalUser("x", "plain-text")
    s = CrmSettings().with_password_protection(True)
    with pytest.raises(SettingsError, match="'settings'"):
        s.with_local_user("admin", areas=["customers"])  # nobody could change settings then
    with pytest.raises(SettingsError, match="password"):
        s.with_local_user("new-user")  # a new user needs a password
    assert not check_password("x", "scrypt$garbage")


def test_default_data_dir_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / "callcenter-crm"


def test_the_outside_line_prefix_is_checked_and_kept(tmp_path: Path) -> None:
    assert CrmSettings().outside_prefix == "9"
    for good in ("", "0", "9", "*9#1", "0000"):
        assert CrmSettings(outside_prefix=good).outside_prefix == good
    for bad in ("12345", "9a", " 9", "+9", "九"):
        with pytest.raises(SettingsError, match=r"outside_prefix.*at most 4 of the keys 0-9"):
            CrmSettings(outside_prefix=bad)
    save_settings(tmp_path, CrmSettings(outside_prefix=""))
    assert load_settings(tmp_path).outside_prefix == ""
    (tmp_path / "settings.json").write_text('{"outside_prefix": "99999"}', encoding="utf-8")
    with pytest.raises(SettingsError, match="outside_prefix"):
        load_settings(tmp_path)
