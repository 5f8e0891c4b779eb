"""What the app does differently over SSH, and where the session came from (no server needed)."""

from __future__ import annotations

import json
import os

import pytest

from pos_customers.services.access import sign_in
from pos_customers.services.associates import add_associate
from pos_customers.services.origin import over_ssh, session_origin
from pos_customers.ui.config import ConfigError, UiConfig, for_session, load_config

SSH = {"SSH_CONNECTION": "192.0.2.7 50022 10.1.2.3 22", "SSH_CLIENT": "192.0.2.7 50022 22",
       "SSH_TTY": "/dev/pts/3", "TERM": "xterm"}


@pytest.mark.parametrize(("environ", "origin"), [
    ({}, None),
    ({"TERM": "linux"}, None),
    (SSH, "ssh from 192.0.2.7"),
    ({"SSH_CLIENT": "2001:db8::5 50022 22"}, "ssh from 2001:db8::5"),  # an older server
    ({"SSH_CONNECTION": "not-an-address 1 2 3"}, "ssh from an unknown address"),
    ({"SSH_CONNECTION": "192.0.2.7\x1b[2J 1 2 3"}, "ssh from an unknown address"),
    ({"SSH_TTY": "/dev/pts/1"}, "ssh"),
])
def test_the_session_origin_comes_from_ssh_connection(environ, origin):
    assert session_origin(environ) == origin
    assert over_ssh(environ) is (origin is not None)


def test_at_the_till_the_app_keeps_its_own_defaults():
    config, env = for_session(UiConfig(), {"TERM": "xterm-256color"}, fps_from_environment=False)
    assert (config.cursor_blink, config.fps, config.animations, config.mouse) == (True, 120, "full", True)
    assert env == {"TEXTUAL_FPS": "120"}


def test_over_ssh_no_blinking_no_animations_fewer_frames_no_mouse():
    config, env = for_session(UiConfig(), SSH, fps_from_environment=False)
    assert (config.cursor_blink, config.fps, config.animations, config.mouse) == (False, 30, "none", False)
    assert env == {"TEXTUAL_FPS": "30"}


def test_config_toml_display_overrides_the_ssh_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[display]\nfps = 60\nanimations = \"basic\"\ncursor_blink = true\nmouse = true\n")
    config, env = for_session(load_config(path), SSH, fps_from_environment=False)
    assert (config.cursor_blink, config.fps, config.animations, config.mouse) == (True, 60, "basic", True)
    assert env == {"TEXTUAL_FPS": "60"}


def test_an_explicit_environment_variable_wins(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[display]\nfps = 60\nanimations = \"basic\"\n")
    environ = {**SSH, "TEXTUAL_FPS": "10", "TEXTUAL_ANIMATIONS": "full"}
    config, env = for_session(load_config(path), environ, fps_from_environment=True)
    assert env == {}  # Textual reads TEXTUAL_FPS itself
    assert config.animations == "full"


@pytest.mark.parametrize(("display", "message"), [
    ("fps = 0", "fps must be a whole number from 1 to 240"),
    ("fps = \"fast\"", "fps must be a whole number from 1 to 240"),
    ("animations = \"some\"", "animations must be one of none, basic, full"),
    ("mouse = \"no\"", "mouse must be true or false"),
])
def test_a_bad_display_setting_is_one_clear_line(tmp_path, display, message):
    path = tmp_path / "config.toml"
    path.write_text(f"[display]\n{display}\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_sign_in_over_ssh_is_audited_with_its_origin(svc, admin):
    add_associate(svc, admin, number="7001", name="Sam Support", role="support", pin="8642")
    sign_in(svc, "7001", "8642", via="ssh from 192.0.2.7")
    sign_in(svc, "7001", "8642")  # at the till: nothing added
    with svc.db.snapshot() as conn:
        rows = conn.execute("SELECT changes FROM audit_event WHERE action = 'sign_in' ORDER BY id").fetchall()
    assert [json.loads(r[0]) for r in rows] == [{"via": {"old": None, "new": "ssh from 192.0.2.7"}}, {}]


def test_the_launcher_applies_the_ssh_defaults_before_textual_starts(monkeypatch, tmp_path):
    """The app the launcher makes over SSH: the settings and the origin reach it."""
    import pos_customers.ui.app as ui_app
    from pos_customers import launch

    made = {}

    class Recorder:
        def __init__(self, svc, **kw):
            made.update(kw)
            self.return_code = 0
            self.file_problem = None  # what PosApp tells the launcher after a file failure

        def run(self):
            made["run"] = True

    for key, value in SSH.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("POS_CUSTOMERS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("TEXTUAL_ANIMATIONS", raising=False)
    monkeypatch.setenv("TEXTUAL_FPS", "120")  # put back afterwards: the launcher sets it
    monkeypatch.setattr(ui_app, "PosApp", Recorder)
    monkeypatch.setattr("pos_customers.ui.FPS_FROM_ENVIRONMENT", False)
    assert launch.run_app(db_path=tmp_path / "store.db") == 0
    assert made["origin"] == "ssh from 192.0.2.7"
    assert made["run"] and made["config"].mouse is False
    assert made["config"].animations == "none" and made["config"].cursor_blink is False
    assert os.environ["TEXTUAL_FPS"] == "30"
