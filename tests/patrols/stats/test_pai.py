import math

import numpy as np
import pandas as pd
import pytest

from layers.patrols.stats.pai import prediction_accuracy, top_cells_by_area_share


def test_pai_known_numbers():
    # 100 cells of 100 m x 100 m; 5 flagged (5 % of the area); 60 of 200 later incidents in them.
    areas = np.full(100, 10_000.0)
    flagged = [3, 4, 5, 6, 7]
    later = [3] * 30 + [7] * 30 + list(range(10, 80)) * 2
    result = prediction_accuracy(flagged, areas, later)
    assert (result.n_hits, result.n_incidents) == (60, 200)
    assert result.hit_rate == pytest.approx(0.3)
    assert result.area_flagged_m2 == 50_000.0 and result.area_total_m2 == 1_000_000.0
    assert result.area_share == pytest.approx(0.05)
    assert result.pai == pytest.approx(6.0)


def test_pai_with_labelled_cells_of_unequal_area():
    areas = {"A01": 20_000.0, "A02": 30_000.0, "B01": 50_000.0}
    result = prediction_accuracy(["A02", "A02"], areas, ["A02", "A01", "B01", "A02"])
    assert result.hit_rate == 0.5 and result.area_share == 0.3
    assert result.pai == pytest.approx(0.5 / 0.3)


def test_pai_edge_cases():
    areas = pd.Series([1.0, 1.0], index=[10, 11])
    assert math.isnan(prediction_accuracy([], areas, [10, 11]).pai)
    with pytest.raises(ValueError, match="not cells"):
        prediction_accuracy([10], areas, [10, 99])
    with pytest.raises(ValueError, match="no later incidents"):
        prediction_accuracy([10], areas, [])


def test_top_cells_equal_areas():
    scores = np.arange(20.0)
    assert top_cells_by_area_share(scores, np.ones(20), area_share=0.1) == [19, 18]


def test_top_cells_stop_before_exceeding_the_share():
    scores = pd.Series({"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.95})
    areas = pd.Series({"a": 5.0, "b": 1.0, "c": 1.0, "d": 3.0})
    assert top_cells_by_area_share(scores, areas, area_share=0.4) == ["d"]
    assert top_cells_by_area_share(scores, areas, area_share=0.8) == ["d", "a"]
    assert top_cells_by_area_share(scores, areas, area_share=0.05) == []


def test_top_cells_ties_keep_input_order_and_feed_pai():
    scores = np.array([1.0, 3.0, 3.0, 2.0])
    chosen = top_cells_by_area_share(scores, np.ones(4), area_share=0.5)
    assert chosen == [1, 2]
    assert prediction_accuracy(chosen, np.ones(4), [1, 2, 2, 0]).pai == pytest.approx(1.5)
    with pytest.raises(ValueError, match="area_share"):
        top_cells_by_area_share(scores, np.ones(4), area_share=0)
