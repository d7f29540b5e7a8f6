"""Practices that say what to do: the keys each row toggles, the accuracy of the precision rows,
progress with totals, and `--save-best` (the base with the practices that won)."""

from __future__ import annotations

import pytest

from ortbench_tui.bench.compare import profile_diff
from ortbench_tui.bench.practices import (
    ARTICLE,
    PRACTICES,
    PracticeRow,
    PracticesProgress,
    PracticesReport,
    best_profile,
    format_report,
    report_markdown,
    save_best,
)
from ortbench_tui.cli import main
from ortbench_tui.profile import Profile, load_profile, profile_to_dict, shipped_profiles_dir


def _row(key: str, verdict: str | None, ratio: float, **extra: object) -> PracticeRow:
    practice = next(p for p in PRACTICES if p.key == key)
    row = PracticeRow(
        practice.number,
        practice.title,
        practice.compared,
        "measured",
        ratio=ratio,
        ci_low=ratio * 0.97,
        ci_high=ratio * 1.03,
        verdict=verdict,
        key=key,
        toggles=list(practice.keys),
    )
    for name, value in extra.items():
        setattr(row, name, value)
    return row


def _report(*rows: PracticeRow) -> PracticesReport:
    return PracticesReport("sample:mlp", "base", list(rows), "bootstrap", 0.01)


@pytest.mark.parametrize("practice", PRACTICES, ids=lambda p: p.key)
def test_every_row_names_the_keys_it_changes(practice):
    base = Profile(name="base")
    changed = {
        d.split(":")[0]
        for d in profile_diff(
            profile_to_dict(practice.off(base)), profile_to_dict(practice.on(base))
        )
    }
    named = {k if k.count(".") == 1 else k.rsplit(".", 1)[0] for k in practice.keys}
    assert changed <= named, (changed, practice.keys)


def test_save_best_applies_the_faster_practices_and_says_why(tmp_path):
    report = _report(
        _row("opt_extended", "faster", 0.95),
        _row("opt_all", "faster", 0.85),  # the faster alternative on the same key wins
        _row("io_binding", "faster", 0.40),
        _row("arena_mem_pattern", "no clear difference", 1.0),
        _row("int8", "faster", 0.38, cosine=0.91, max_abs_err=0.7),  # fast but inaccurate
        _row("fp16", "faster", 0.70, cosine=0.99999, max_abs_err=0.001),
    )
    base = Profile(name="base")
    base.session.graph_optimization_level = "basic"
    path = save_best(report, base, tmp_path / "best.toml")
    saved = load_profile(path)
    assert saved.name == "best"
    assert saved.session.graph_optimization_level == "all"
    assert saved.run.io_binding is True and saved.run.precision == "fp16"
    assert saved.session.enable_cpu_mem_arena is True  # untouched: the base's value
    text = path.read_text()
    assert "#   5 IO binding (run.io_binding): 0.400x [0.388, 0.412]" in text
    assert "#   1a graph optimization EXTENDED: 1b graph optimization ALL was faster" in text
    assert "#   7b INT8: faster, but cosine 0.91000 < 0.999 against fp32" in text
    assert "cos 0.99999" in text and ARTICLE in text
    with pytest.raises(Exception, match="already exists"):
        save_best(report, base, path)


def test_the_saved_best_records_the_base_it_beat():
    report = _report(_row("io_binding", "faster", 0.80))
    report.model_sha256 = "e" * 64
    report.hardware = {"cpu_model": "Test CPU", "physical_cores": 4, "ort_version": "1.31.1"}
    report.inputs_spec = {"inputs": {"x": {"shape": "1x8"}}}
    base = Profile(name="base")
    base.session.intra_op_num_threads = 2
    profile, _ = best_profile(report, base, "best")
    prov = profile.provenance
    assert prov is not None and prov.found_by == "practices" and prov.decided
    assert prov.ort_version == "1.31.1" and prov.model["sha256"] == "e" * 64
    assert prov.beaten == {
        "name": "base",
        "description": "",
        "session": {"intra_op_num_threads": 2},
    }
    assert prov.inputs == {"inputs": {"x": {"shape": "1x8"}}}
    # one practice applied: its row measured this very pair; base / with it, CI inverted too
    assert prov.ratio == pytest.approx(1 / 0.80)
    assert prov.ci == pytest.approx([1 / (0.80 * 1.03), 1 / (0.80 * 0.97)])
    two = _report(_row("io_binding", "faster", 0.80), _row("opt_all", "faster", 0.9))
    two.model_sha256 = "e" * 64
    both, _ = best_profile(two, base, "best")
    assert both.provenance is not None and both.provenance.ratio is None  # never measured as one


def test_nothing_faster_saves_the_base_and_says_so():
    profile, header = best_profile(_report(_row("io_binding", "slower", 1.2)), Profile(), "b")
    assert profile_to_dict(profile)["run"] == profile_to_dict(Profile())["run"]
    assert "Applied: none" in header and "5 IO binding: slower" in header


def test_precision_rows_show_their_accuracy_beside_the_ratio():
    report = _report(
        _row("int8", "faster", 0.38, cosine=0.91, max_abs_err=0.7, accuracy_note="calibrated")
    )
    text = format_report(report)
    assert "accuracy vs fp32" in text and "cos 0.91000 · max err 0.7 (calibration data)" in text
    assert "run.precision" in text
    md = report_markdown(report)
    assert "cos 0.91000" in md and "| run.precision |" in md and ARTICLE in md


def test_progress_says_the_totals():
    ev = PracticesProgress("timed", 9, 40, 3.21, 20.0, "12 profiles, interleaved", 1, 3, ("5",))
    assert ev.line() == "step 1 of 3 · timed 9/40 · 3.2 s · ETA 20 s · 12 profiles, interleaved"


def test_practices_help_names_the_article(capsys):
    with pytest.raises(SystemExit):
        main(["practices", "--help"])
    out = capsys.readouterr().out
    assert "Optimizing ONNX Runtime Inference Latency: 8" in " ".join(out.split())
    assert "--save-best" in out


@pytest.mark.slow
def test_cli_practices_save_best(capsys, tmp_path):
    best = tmp_path / "best.toml"
    argv = [
        "practices",
        "sample:tiny",
        "--runs",
        "100",
        "--warmup",
        "2",
        "--sessions",
        "2",
        "--no-precision",
        "-q",
        "--profile",
        "cpu-latency",
        "--save-best",
        str(best),
    ]
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0 and f"as {best}" in out
    text = best.read_text()
    # The shipped base's comments survive; the run counts of the check are not saved.
    assert "# Written by `ortbench practices --save-best`" in text
    assert "# resolved to the physical core count at run time" in text
    shipped = load_profile(shipped_profiles_dir() / "cpu-latency.toml")
    assert load_profile(best).run.timed_runs == shipped.run.timed_runs
    prov = load_profile(best).provenance
    assert prov is not None and prov.found_by == "practices"
    assert prov.beaten["name"] == "cpu-latency" and prov.model["spec"] == "sample:tiny"
    assert main(argv) == 2 and "already exists" in capsys.readouterr().err


def test_alternatives_that_cannot_be_told_apart_are_a_tie_and_the_milder_is_applied(tmp_path):
    """Issue 21 item 3: EXTENDED 0.90x [0.873, 0.927] and ALL 0.89x [0.863, 0.917] overlap:
    a tie, so the milder change (EXTENDED) is applied, not the hair-faster ALL; a row whose
    CI crosses 1 is a tie with the base and says so."""
    report = _report(
        _row("opt_extended", "faster", 0.90),
        _row("opt_all", "faster", 0.89),
        _row("io_binding", "no clear difference", 0.99),
    )
    base = Profile(name="base")
    base.session.graph_optimization_level = "basic"
    path = save_best(report, base, tmp_path / "tie.toml")
    assert load_profile(path).session.graph_optimization_level == "extended"
    text = path.read_text()
    assert "1b graph optimization ALL: a tie with 1a graph optimization EXTENDED" in text
    assert "5 IO binding: no clear difference: a tie with the base" in text
