"""workflow.model: actors by label and key, and the request's fingerprint."""

from __future__ import annotations

from workflow.model import Caller, Command, Ref, report_id

CALLER = Caller(Ref("Person", "P-1"), "dispatcher", Ref("Center", "c-1"), "330421")


def test_a_ref_reads_back_from_its_text() -> None:
    ref = Ref("MediationOrg", "med-330421-medical")
    assert (str(ref), Ref.parse(str(ref))) == ("MediationOrg:med-330421-medical", ref)


def test_the_fingerprint_is_the_request_not_the_key() -> None:
    base = Command("D1", "close", CALLER, 4, "k1", (), "done", {"outcome": "settled"})
    same = Command("D1", "close", CALLER, 4, "k2", (), "done", {"outcome": "settled"})
    other = Command("D1", "close", CALLER, 4, "k1", (), "done", {"outcome": "unsettled"})
    assert base.fingerprint() == same.fingerprint()
    assert base.fingerprint() != other.fingerprint()
    assert len(base.fingerprint()) == 32


def test_a_retried_report_names_the_same_dispute() -> None:
    first = report_id("330421", CALLER, "9f1c-…")
    assert first == report_id("330421", CALLER, "9f1c-…")
    assert first.startswith("330421-W") and len(first) == len("330421-W") + 12
    assert first != report_id("330421", CALLER, "another key")
    assert first != report_id("330421", Caller(Ref("Person", "P-2"), "resident"), "9f1c-…")
