"""workflow.model: actors by label and key, and the request's fingerprint."""

from __future__ import annotations

from workflow.model import Caller, Command, Ref

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
