"""The switches of the platform tweaks: read from the environment, forced in tests, documented."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from heft import _platform
from heft._platform._switches import Switch, parse

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("raw", ["1", "true", "Yes", " on ", "TRUE"])
def test_parse_turns_a_switch_on(raw):
    assert parse("HEFT_X", raw, False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", " off ", "OFF"])
def test_parse_turns_a_switch_off(raw):
    assert parse("HEFT_X", raw, True) is False


@pytest.mark.parametrize("raw", [None, "", "   "])
@pytest.mark.parametrize("default", [True, False])
def test_parse_keeps_the_default_when_unset_or_blank(raw, default):
    assert parse("HEFT_X", raw, default) is default


@pytest.mark.parametrize("default", [True, False])
def test_parse_warns_about_an_unknown_value_and_keeps_the_default(default):
    with pytest.warns(
        RuntimeWarning, match=r"variable HEFT_X as a switch, but it holds 'maybe'.*Set it to 1"
    ):
        assert parse("HEFT_X", "maybe", default) is default


def test_a_switch_reads_its_variable_when_made(monkeypatch):
    monkeypatch.setenv("HEFT_TEST_SWITCH", "0")
    assert Switch("HEFT_TEST_SWITCH", default=True, summary="test").on is False
    monkeypatch.delenv("HEFT_TEST_SWITCH")
    assert Switch("HEFT_TEST_SWITCH", default=True, summary="test").on is True


def test_forced_sets_the_switch_for_the_block_only_even_when_it_raises():
    switch = Switch("HEFT_TEST_SWITCH_UNSET", default=True, summary="test")
    with switch.forced(False):
        assert switch.on is False
        with switch.forced(True):
            assert switch.on is True
        assert switch.on is False
    assert switch.on is True
    with pytest.raises(KeyError), switch.forced(False):
        raise KeyError("boom")
    assert switch.on is True


def test_forced_rejects_what_is_not_a_bool():
    switch = Switch("HEFT_TEST_SWITCH_UNSET", default=True, summary="test")
    with pytest.raises(TypeError, match=r"forced with a bool. Received: on=1 of type int"):
        with switch.forced(1):
            pass
    assert switch.on is True


def test_every_switch_is_documented_with_its_default_in_the_package_and_the_readme():
    names = [switch.env for switch in _platform.ALL]
    assert len(set(names)) == len(names) == 6
    readme = README.read_text()
    for switch in _platform.ALL:
        state = "on" if switch.default else "off"
        assert f"``{switch.env}`` ({state}" in _platform.__doc__
        assert f"`{switch.env}`" in readme


def test_the_switches_are_read_when_heft_is_imported():
    # Every switch set to the opposite of its default, in a fresh process.
    flipped = {s.env: ("0" if s.default else "1") for s in _platform.ALL}
    code = (
        "import json, heft; from heft import _platform; "
        "print(json.dumps({s.env: s.on for s in _platform.ALL}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEFT_")} | flipped
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {s.env: not s.default for s in _platform.ALL}
