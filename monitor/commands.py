"""Registration of the commands that live outside cli.py."""

from __future__ import annotations

import argparse
from collections.abc import Callable

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTER: list[Register] = []
