"""Personal data typed in any format never reaches a store: the running service over HTTP.

A sample of the personal-data corpus (one text of each kind as a typed question and feedback
comment, one typed into an escalation card field and sent) goes through the real service
(SQLite, a real aiosmtpd server, a Bot Framework channel stub). Afterwards none of the values
can be read in the conversation log, the feedback table, the escalation tables, the IG email,
the replies to the staff member or the log output. The whole corpus is checked against the core
functions in tests/core/test_privacy.py; this is the sample that proves the wiring.
"""

from __future__ import annotations

from pathlib import Path

from tests.core import redaction_measure


async def test_no_store_holds_personal_data_in_any_format(embedder, tmp_path: Path) -> None:
    cases = redaction_measure.sample([c for c in redaction_measure.load() if c["pii"]], per_kind=1)
    assert len({c["kinds"][0] for c in cases}) >= 10 and any("field" in c for c in cases)
    stores = await redaction_measure.drive(cases, tmp_path, embedder=embedder)
    assert all(stores[name] for name in redaction_measure.STORES if name != "log output")  # each store was used
    found = redaction_measure.leaks_per_store(cases, stores)
    assert {name: values for name, values in found.items() if values} == {}
