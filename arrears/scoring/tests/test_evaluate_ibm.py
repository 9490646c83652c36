"""`arrears model evaluate` on the IBM late-payment file: the model beats both baselines."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command


@pytest.mark.shared_data
def test_evaluate_on_the_ibm_file_beats_both_baselines_and_writes_a_calibration_plot(db, ibm_csv, tmp_path):
    call_command("import", str(ibm_csv), profile="ibm-late-payment", json=True, stdout=io.StringIO())
    out = io.StringIO()
    plot = tmp_path / "calibration.svg"

    call_command("model", "evaluate", "--json", "--plot", str(plot), stdout=out)

    m = json.loads(out.getvalue())
    assert m["cutoff"] == "2013-06-10"  # 75 % of the invoice-date range
    assert m["test_rows"] == 606
    model, base = m["model"], m["baselines"]
    assert base["due_date"]["auc_late"] == 0.5
    assert model["auc_late"] > base["late_share"]["auc_late"]
    assert model["auc_late"] > base["due_plus_mean_delay"]["auc_late"]
    assert model["mae_days"] < base["due_date"]["mae_days"]
    assert model["mae_days"] < base["due_plus_mean_delay"]["mae_days"]
    assert m["model_beats_baselines"] is True
    assert m["calibration_plot"] == str(plot)
    svg = plot.read_text()
    assert svg.startswith("<svg")
    assert "<polyline" in svg
    assert "paid &gt; 0 days late" in svg
