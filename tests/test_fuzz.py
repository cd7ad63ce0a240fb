"""A short, seeded run of the mutation fuzzer (``tests/support/fuzz.py``); ``make fuzz`` runs a long one."""

from tests.support.fuzz import fuzz


def test_damaged_warc_files_and_pages_break_nothing():
    findings = []
    campaign = fuzz(inputs=150, seed=11, shared=False, on_finding=findings.append)
    assert campaign.inputs == 150 and campaign.by_target["warc"] > 50 and campaign.by_target["page"] > 50
    assert campaign.responses > 100  # the damaged files were read, not refused
    assert [(f.kind, f.target, f.seed, f.mutations, f.detail) for f in findings] == []
