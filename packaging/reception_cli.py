"""Entry point of the frozen ``reception`` console command (the same as ``python -m reception``)."""

import multiprocessing

# `reception server --workers N` starts its workers (and multiprocessing's resource tracker) by running this
# executable again with multiprocessing's own arguments; in a frozen program freeze_support() runs those (PyInstaller's
# runtime hook makes it work on Linux too) instead of handing them to the command's argument parser.
multiprocessing.freeze_support()

from reception.cli import main  # noqa: E402

raise SystemExit(main())
