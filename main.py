"""Start the desk app: ``python main.py [--data-dir DIR] [--demo]``; ``--smoke-test`` checks a build and exits."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--smoke-test" in args:
        from reception.smoke import run_smoke_test

        code = run_smoke_test()
        if code == 0 and "--no-gui" not in args:
            from ui.app import smoke_test_window

            code = smoke_test_window()
        return code
    from ui.app import main as run_app

    return run_app(args)


if __name__ == "__main__":
    raise SystemExit(main())
