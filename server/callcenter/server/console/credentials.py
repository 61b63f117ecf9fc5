"""Checks of what a person types into the login and change-password dialogs: pure
functions returning the catalogue key of the problem, or None (IDLE's query.py keeps its
entry checks apart from the widgets in the same way).  The service checks again; these only
spare a round trip for the obvious mistakes, with the protocol's limits (section 6)."""

from __future__ import annotations

MAX_USER = 64
MIN_PASSWORD = 6
MAX_PASSWORD = 128


def login_problem(user: str) -> str | None:
    """The catalogue key of what is wrong with a login's user name, or None."""
    if not user.strip():
        return "login.need_user"
    if len(user) > MAX_USER:
        return "login.user_too_long"
    return None


def new_password_problem(old: str, new: str, repeat: str) -> str | None:
    """The catalogue key of what is wrong with a new password, or None."""
    if len(new) < MIN_PASSWORD:
        return "password.too_short"
    if len(new) > MAX_PASSWORD:
        return "password.too_long"
    if new == old:
        return "password.same"
    if new != repeat:
        return "password.mismatch"
    return None
