"""Entry point of the frozen ``reception`` console command (the same as ``python -m reception``)."""

from reception.cli import main

raise SystemExit(main())
