"""The link flags' help (--ack-timeout, --retries) says what is true: the service saves a
value given, a ``pbx`` command does not (``pbx dump --retries 7`` leaves ``pbx.retries``)."""

from __future__ import annotations

import argparse

from callcenter.server.cli.common import add_link_arguments


def test_link_flag_help_says_a_pbx_command_saves_nothing() -> None:
    parser = argparse.ArgumentParser(prog="callcenter-server pbx dump")
    add_link_arguments(parser)
    text = " ".join(parser.format_help().split())
    assert "saved like --baud" not in text
    assert text.count("the service saves a value given, a pbx command does not") == 2
