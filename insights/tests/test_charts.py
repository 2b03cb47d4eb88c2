"""Charts: accessible SVG, escaped text, no scripts."""

from __future__ import annotations

from insights import charts


def test_profile_chart_is_accessible_and_escapes_labels():
    svg = charts.profile_chart(
        [charts.ProfileBar("Coverage <script>", 0.4, 0.2, 0.25, 0.55, 0.42, True, True, False),
         charts.ProfileBar("Discovery", 0.0, 0.21, None, None, None, False, False, False)],
        title="Weights & evidence", chart_id="p",
    )
    assert svg.startswith('<svg class="chart" role="img" aria-labelledby="p-t p-d"')
    assert '<title id="p-t">Weights &amp; evidence</title>' in svg
    assert "<desc id=\"p-d\">" in svg
    assert "<script>" not in svg
    assert "Coverage &lt;script&gt; ★" in svg
    assert "not measurable with this data" in svg


def test_percentile_and_trend_charts():
    svg = charts.percentile_chart([("Coverage", 30.0, True), ("Volume", None, False)], title="Standing", chart_id="s")
    assert "top quartile" in svg
    assert svg.count("<rect") == 3  # two tracks and one bar: a missing value draws no bar
    trend = charts.trend_chart([("Jan", 40.0), ("Apr", None), ("Jul", 55.0)], title="Trend", chart_id="t")
    assert "Jan: 40; Apr: —; Jul: 55" in trend
    assert trend.count("<circle") == 2
    assert 'text-anchor="start">Jan</text>' in trend  # the first and last labels under the axis
    assert 'text-anchor="end">Jul</text>' in trend
    assert ">Apr</text>" not in trend
    assert charts.quartile_strip(None, None, 3.0, label="x") == ""
