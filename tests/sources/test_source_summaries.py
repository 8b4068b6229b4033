"""The top-level help lists the sources from a static table (so --help imports no loader);
that table must name exactly the sources the loaders register."""

from __future__ import annotations

import subprocess
import sys

from chainatlas.interfaces.cli.help import source_summaries
from chainatlas.sources.registry import source_names

SOURCE_SUMMARIES = source_summaries()


def test_summaries_name_exactly_the_registered_sources():
    assert sorted(SOURCE_SUMMARIES) == source_names()


def test_top_level_help_lists_sources_without_importing_loaders():
    code = (
        "import sys\n"
        "from chainatlas.interfaces.cli.main import run\n"
        "try:\n"
        "    run(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules]\n"
        "print('LOADED', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in SOURCE_SUMMARIES:
        assert name in done.stdout
    assert "LOADED []" in done.stderr
