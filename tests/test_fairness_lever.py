"""The fairness lever (#15): the reweighed tree model sits in the selection table with every candidate's fairness on the
validation split, competes only when `evaluate.require_fairness` is set, and the fairness gate says when nothing meets
the policy. The evaluate task notebook runs for real (papermill) on the `built` products, writing into its own folder."""

import json
from pathlib import Path

import papermill as pm

from conftest import ROOT


def test_the_default_build_shows_the_lever_beside_the_candidates_without_letting_it_compete(built):
    m = json.loads((built["products"] / "05_evaluation/metrics.json").read_text())
    f = m["fairness"]
    assert f["required"] is False and "lightgbm_fair" not in f["eligible"] and "lightgbm_fair" in m["candidates"]
    assert m["families"]["lightgbm_fair"] == "lightgbm" and "lightgbm_fair" not in m["selection"]["candidates"]
    for c in f["candidates"].values():  # Adult's sensitive attributes: sex, race, age
        assert c["status"] in {"pass", "warn", "fail", "insufficient"} and c["demographic_parity_difference"] >= 0
    assert f["candidates"]["lightgbm"]["demographic_parity_at"] and m["checks"]["fairness"]["status"] == "n/a"


def _evaluate(built, tmp: Path, **evaluate) -> dict:
    "Run the evaluate task notebook on the built products with `evaluate` overrides; its metrics.json."
    from nbs_lib.config import deep_merge
    from nbs_lib.pipeline import make_dag

    dag = make_dag(deep_merge(built["env"], {"evaluate": evaluate}), ROOT)
    dag.render(show_progress=False)
    task = dag["evaluate"]
    params = task.params.to_json_serializable()
    product = {k: str(tmp / Path(v).name) for k, v in task.product.to_json_serializable().items()}
    Path(product["candidates"]).mkdir()
    params["product"] = product
    pm.execute_notebook(
        str(ROOT / "notebooks/_pipeline/evaluate.ipynb"),
        str(tmp / "out.ipynb"),
        parameters=params,
        kernel_name="python3",
        progress_bar=False,
    )
    return json.loads(Path(product["metrics"]).read_text())


def test_requiring_the_policy_lets_the_reweighed_model_compete_and_the_gate_names_the_outcome(built, tmp_path):
    m = _evaluate(built, tmp_path, require_fairness=True)
    f = m["fairness"]
    meets = [n for n, c in f["candidates"].items() if c["status"] != "fail"]
    gate = m["checks"]["fairness"]
    if meets:  # only candidates meeting the policy were eligible, and the chosen one is among them
        assert f["eligible"] == meets and m["chosen"] in meets and gate["status"] == "pass"
    else:  # nothing meets it: said, never a pass
        assert gate["status"] == "fail" and gate["reason"].startswith("no candidate meets the fairness policy")
    assert set(m["selection"]["candidates"]) == set(f["eligible"] if meets else ["baseline", "mlp", "lightgbm"])
