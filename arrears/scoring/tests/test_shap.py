"""Table SHAP values equal LightGBM's own TreeSHAP; the top factors are the largest effects, largest first."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from arrears.scoring.reasons import top_factors
from arrears.scoring.shap import ShapTables


def _data(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.normal(size=(n, 5))
    x[:, 1] = rng.integers(-1, 6, n)  # a category, with unknown (-1) codes
    x[rng.random(n) < 0.15, 1] = np.nan
    x[rng.random(n) < 0.2, 2] = np.nan
    x[rng.random(n) < 0.3, 3] = 0.0
    return x


@pytest.mark.parametrize("missing", [{}, {"zero_as_missing": True}, {"use_missing": False}])
def test_table_shap_values_equal_lightgbm_pred_contrib(missing):
    rng = np.random.default_rng(4)
    x = _data(rng, 4000)
    y = ((x[:, 0] + (x[:, 1] == 2) + np.nan_to_num(x[:, 2]) - x[:, 3] + rng.normal(size=len(x))) > 0.3).astype(int)
    clf = lgb.LGBMClassifier(n_estimators=40, num_leaves=4, min_child_samples=20, subsample=0.8, subsample_freq=1,
                             verbose=-1, n_jobs=1, **missing)
    clf.fit(x, y, categorical_feature=[1], init_score=rng.normal(size=len(x)) * 0.1)
    test = np.asfortranarray(_data(rng, 3000))
    test[:5, 1] = 2.6  # a category code with a fraction: LightGBM truncates it

    assert ShapTables.supports(clf.booster_)
    mine = ShapTables.from_booster(clf.booster_).contributions(test)

    theirs = clf.booster_.predict(test, pred_contrib=True)[:, :5]
    np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-9)


def test_bigger_trees_are_left_to_lightgbm():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 3))
    reg = lgb.LGBMRegressor(n_estimators=5, num_leaves=15, min_child_samples=5, verbose=-1).fit(x, x[:, 0] * 3 + x[:, 1])

    assert not ShapTables.supports(reg.booster_)


def test_top_factors_are_the_largest_absolute_effects_largest_first():
    contributions = np.array([[0.1, -0.9, 0.3, 0.05, -0.2], [0.0, 0.01, -0.02, 0.5, 0.4]])

    idx, effect = top_factors(contributions, top=3)

    assert idx.tolist() == [[1, 2, 4], [3, 4, 2]]
    np.testing.assert_array_equal(effect, [[-0.9, 0.3, -0.2], [0.5, 0.4, -0.02]])
