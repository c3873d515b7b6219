"""The run's GX project survives a run killed while GX was writing its config."""

from __future__ import annotations

from expectations.runner import context


def test_a_config_cut_short_by_a_kill_is_started_anew(tmp_path):
    project = tmp_path / "mutu"
    context(project)
    config = project / "gx" / "great_expectations.yml"
    whole = config.read_text()
    config.write_text(whole[: len(whole) // 3])  # what a SIGKILL mid-write leaves: not YAML
    context(project)
    config.write_text(whole.split("\n\n")[0])  # or YAML without GX's sections
    results = project / "gx" / "uncommitted" / "validations" / "kept.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text("{}")
    ctx = context(project)
    assert ctx.get_config().stores  # a whole config again
    assert "stores" in config.read_text() and results.exists()
