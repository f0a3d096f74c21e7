"""One module per subcommand; each exposes ``register(subparsers)`` and imports heavy code lazily."""

from __future__ import annotations

import argparse


def add_format(p: argparse.ArgumentParser) -> None:
    """``--format text|json`` (``args.format``), with ``--json`` kept as the old spelling of ``--format json``."""
    p.add_argument("--format", choices=("text", "json"), default="text", help="输出格式（默认 text）")
    p.add_argument("--json", dest="format", action="store_const", const="json", help="同 --format json")
