"""``python -m gridpos`` is the ``gridpos`` command."""

from gridpos.cli import main

main()
