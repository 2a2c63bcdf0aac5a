"""One push answer: the light ``PushAnswer`` both sides build and read, and ``MutationResult``, its description in
the OpenAPI document, hold the same fields with the same defaults; the wire form leaves the defaults out."""

from __future__ import annotations

import dataclasses

import pytest

from reception.sync.protocol import AnswerUnreadable, MutationResult, PushAnswer


def test_the_light_answer_and_the_documented_one_hold_the_same_fields() -> None:
    light = {f.name: f.default for f in dataclasses.fields(PushAnswer)}
    documented = {name: (f.default if not f.is_required() else dataclasses.MISSING)
                  for name, f in MutationResult.model_fields.items()}
    assert light == documented


def test_the_wire_form_leaves_defaults_out_and_reads_back() -> None:
    applied = PushAnswer("m1", "applied", 3)
    assert applied.wire() == {"mutation_id": "m1", "status": "applied", "version": 3}
    conflict = PushAnswer("m2", "conflict", 5, reason="版本冲突", server_data={"a": 1}, server_deleted=True)
    assert PushAnswer.of(conflict.wire()) == conflict
    rejected = PushAnswer("m3", "rejected", reason="不允许", code=403)
    assert PushAnswer.of(rejected.wire()) == rejected
    assert MutationResult.model_validate(rejected.wire()).code == 403  # what the OpenAPI document says it is


def test_an_answer_of_another_kind_is_unreadable() -> None:
    with pytest.raises(AnswerUnreadable, match="无法识别"):
        PushAnswer.of({"mutation_id": "m", "status": "maybe"})
    with pytest.raises(KeyError):
        PushAnswer.of({"status": "applied"})
