"""``--smoke-test``: prove that an installed or frozen build works, in a throwaway data directory.

Migrates an empty database, seeds the reference directory, registers one intake through the real service, renders
and archives its receipt, reads the PDF header back, and returns 0. Nothing is written outside the temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reception import __version__


def run_smoke_test(keep: Path | None = None) -> int:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reception-smoke-") as tmp:
        root = keep or Path(tmp)
        # a throwaway data key too: the smoke test never touches this installation's key in the keyring
        # (it still proves that argon2-cffi, cryptography and the encrypted columns work in the build)
        with throwaway_key(Path(tmp)):
            return _run(root, started)


def _run(root: Path, started: float) -> int:
    from reception.bootstrap import open_data_dir
    from reception.db.settings import load_desk_settings
    from reception.demo import seed_reference
    from reception.domain.enums import Channel, ContentClass, DocumentType, RoutingAction
    from reception.intake import directory
    from reception.intake.service import IntakeInput, PersonInput, register_intake
    from reception.receipts import check_fonts

    ctx = open_data_dir(root)
    try:
        with ctx.db.write() as session:
            seed_reference(session)
        with ctx.db.read() as session:
            settings = load_desk_settings(session)
            township = directory.locality_tree(session)[0]
            grid = township.children[0].children[0]
            category = next(c for c in directory.category_tree(session)[0].children)
            proposal = directory.propose_route(session, category.id, grid.id)
        form = IntakeInput(
            person=PersonInput(name="测试", id_type=DocumentType.NONE, address="冒烟测试地址"),
            channel=Channel.VISIT,
            content_class=ContentClass.CLAIM,
            category_id=category.id,
            locality_id=grid.id,
            request="冒烟测试诉求",
            facts="冒烟测试事实和理由",
            routing_action=RoutingAction.ASSIGN,
            unit_id=proposal.unit_id if proposal else None,
        )
        result = register_intake(ctx, form, desk_id=settings.desk_id, officer_id=settings.officer_id)
        fonts = check_fonts()
    finally:
        ctx.close()
    if not result.receipt_path:
        print(f"smoke test FAILED: receipt not rendered ({result.receipt_error})", file=sys.stderr)
        return 1
    pdf = Path(result.receipt_path).read_bytes()
    if not pdf.startswith(b"%PDF"):
        print("smoke test FAILED: the archived receipt is not a PDF", file=sys.stderr)
        return 1
    elapsed = (time.perf_counter() - started) * 1000
    print(f"smoke test OK: version {__version__}, case {result.case_no}, receipt {len(pdf)} bytes, "
      f"fonts ok={fonts.ok}, {elapsed:.0f} ms")
    return 0


@contextlib.contextmanager
def throwaway_key(folder: Path) -> Iterator[None]:
    """A temporary data key (file store) for the duration: a smoke test never touches the installation's key."""
    from reception.security import crypto

    saved = {name: os.environ.get(name) for name in (crypto.KEYSTORE_ENV, crypto.KEY_DIR_ENV)}
    os.environ[crypto.KEYSTORE_ENV] = "file"
    os.environ[crypto.KEY_DIR_ENV] = str(folder / "keys")
    crypto.reset_keys()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        crypto.reset_keys()
