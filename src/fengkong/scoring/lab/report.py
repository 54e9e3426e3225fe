"""The validation report, and the champion-vs-challenger report, each as one self-contained
HTML page: inline SVG, no script, no CDN.

They render the JSON of :func:`fengkong.scoring.lab.validation.validation_summary` (plus the
model's own tables) and of :func:`fengkong.scoring.lab.compare.compare`, so a page and the
``--json`` output can never disagree. The web UI of the
model registry will draw the same data with ECharts later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinja2 import Environment, select_autoescape

from fengkong.scoring.lab.gbm import TrainedGbm
from fengkong.scoring.lab.scorecard import TrainedScorecard

_SIZE = 260
_PAD = 30

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Validation report — {{ s.kind }}</title>
<style>
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",system-ui,sans-serif;margin:2rem;
color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}.warn{color:#b00}
.charts{display:flex;gap:2rem;flex-wrap:wrap}figure{margin:0}figcaption{font-weight:bold}
</style></head><body>
<h1>Validation report: {{ s.kind }}</h1>
<p>Target <b>{{ s.target }}</b> (bad = {{ s.bad_value }}); {{ s.n_rows }} rows, {{ s.n_bad }} bad
({{ "%.2f"|format(100 * s.bad_rate) }} %); training data {{ s.data_hash }}.</p>
{% if s.sample %}{% set t = s.sample %}<h2>Training sample from the ledgers</h2>
<p>One row per customer and month end, {{ t.observation_dates }} observation dates from
{{ t.first_observation }} to {{ t.last_observation }}, {{ t.n_customers }} customers, ledgers as
known on {{ t.known_until }}. Bad = first reaching {{ t.dpd_threshold }} days past due within
{{ t.performance_months }} months after the observation date. Left out:
{{ t.excluded_in_default }} customer-months already in default, {{ t.excluded_without_trade }}
before the customer's first trade. Leakage guard passed on
{{ t.leakage_checked | join(", ") or "no date (not run)" }}.{% if s.folds_grouped_by %}
Cross-validation keeps each {{ s.folds_grouped_by }}'s rows in one fold.{% endif %}</p>
<table><tr><th class="l">observation date</th><th>rows</th><th>bads</th><th>bad rate</th></tr>
{% for r in t.by_observation %}<tr><td class="l">{{ r.observation_date }}</td>
<td>{{ r.n_rows }}</td><td>{{ r.n_bad }}</td>
<td>{{ "%.4f"|format(r.n_bad / r.n_rows) }}</td></tr>{% endfor %}</table>{% endif %}
<h2>Discrimination ({{ s.folds }}-fold stratified cross-validation, seed {{ s.seed }})</h2>
<table><tr><th class="l">metric</th><th>mean</th><th>sd</th><th>out-of-fold pooled</th></tr>
{% for m in ["auc", "gini", "ks", "brier"] %}
<tr><td class="l">{{ m | upper }}</td><td>{{ "%.4f"|format(s[m]) }}</td>
<td>{{ "%.4f"|format(s[m ~ "_sd"]) }}</td><td>{{ "%.4f"|format(s.out_of_fold[m]) }}</td></tr>
{% endfor %}</table>
<table><tr><th>fold</th><th>rows</th><th>bads</th><th>AUC</th><th>KS</th><th>Brier</th>
<th>seconds</th></tr>
{% for f in s.per_fold %}<tr><td>{{ f.fold }}</td><td>{{ f.n_rows }}</td><td>{{ f.n_bad }}</td>
<td>{{ "%.4f"|format(f.auc) }}</td><td>{{ "%.4f"|format(f.ks) }}</td>
<td>{{ "%.4f"|format(f.brier) }}</td><td>{{ "%.2f"|format(s.fold_seconds[loop.index0]) }}</td>
</tr>{% endfor %}</table>
<div class="charts">
<figure><figcaption>ROC (out of fold)</figcaption>{{ roc | safe }}</figure>
<figure><figcaption>Calibration: predicted PD (grey) and observed default rate (blue) by score
band</figcaption>{{ calibration_chart | safe }}</figure>
</div>
<h2>Calibration by score band</h2>
<p>Bands are deciles of the out-of-fold PD, B01 the safest; the p-value is the two-sided exact
binomial test of the observed bads against the band's mean predicted PD.</p>
<table><tr><th class="l">band</th><th>rows</th><th>bads</th><th>predicted PD</th>
<th>observed rate</th><th>p-value</th></tr>
{% for r in s.calibration %}<tr><td class="l">{{ r.band }}</td><td>{{ r.count }}</td>
<td>{{ r.bads }}</td><td>{{ "%.4f"|format(r.predicted_pd) }}</td>
<td>{{ "%.4f"|format(r.observed_rate) }}</td>
<td{% if r.p_value < 0.05 %} class="warn"{% endif %}>{{ "%.4f"|format(r.p_value) }}</td></tr>
{% endfor %}</table>
{% if s.backtest %}{% set b = s.backtest %}
<h2>Out-of-time backtest</h2>
<p>Trained on {{ b.n_train }} rows before {{ b.first_test_period }}, tested on {{ b.n_rows }}
later rows: AUC {{ "%.4f"|format(b.auc) }}, KS {{ "%.4f"|format(b.ks) }},
Brier {{ "%.4f"|format(b.brier) }}.</p>
{{ stability_table(b.stability) }}
{% endif %}
{% if s.stability %}<h2>Stability against the recent sample</h2>
{{ stability_table(s.stability) }}{% endif %}
{% if model_rows %}<h2>{{ model_title }}</h2>
<table><tr>{% for h in model_header %}<th class="l">{{ h }}</th>{% endfor %}</tr>
{% for row in model_rows %}<tr>{% for v in row %}<td class="l">{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endif %}
{% if s.dropped %}<h2>Columns not used</h2><ul>
{% for d in s.dropped %}<li>{{ d.column }}: {{ d.reason }}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""

_STABILITY = """{% macro stability_table(st) %}
<p>PSI of the predicted PD: <b>{{ "%.4f"|format(st.psi) }}</b> ({{ st.psi_status }}).</p>
<table><tr><th class="l">feature</th><th>CSI</th></tr>
{% for name, value in st.csi.items() %}<tr><td class="l">{{ name }}</td>
<td{% if value > 0.25 %} class="warn"{% endif %}>{{ "%.4f"|format(value) }}</td></tr>
{% endfor %}</table>{% endmacro %}"""

_environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _svg_frame(body: str, label_x: str, label_y: str) -> str:
    end = _SIZE - _PAD
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SIZE}" height="{_SIZE}" '
        f'viewBox="0 0 {_SIZE} {_SIZE}" role="img">'
        f'<rect x="{_PAD}" y="{_PAD}" width="{end - _PAD}" height="{end - _PAD}" fill="none" '
        f'stroke="#999"/>{body}'
        f'<text x="{_SIZE / 2}" y="{_SIZE - 8}" text-anchor="middle" font-size="11">'
        f"{label_x}</text>"
        f'<text x="10" y="{_SIZE / 2}" font-size="11" transform="rotate(-90 10 {_SIZE / 2})" '
        f'text-anchor="middle">{label_y}</text></svg>'
    )


def _xy(x: float, y: float) -> tuple[float, float]:
    span = _SIZE - 2 * _PAD
    return _PAD + x * span, _SIZE - _PAD - y * span


def roc_svg(points: Sequence[Sequence[float]]) -> str:
    path = " ".join(f"{a:.1f},{b:.1f}" for a, b in (_xy(x, y) for x, y in points))
    x0, y0 = _xy(0, 0)
    x1, y1 = _xy(1, 1)
    body = (
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" stroke-dasharray="4"/>'
        f'<polyline points="{path}" fill="none" stroke="#1f5fbf" stroke-width="2"/>'
    )
    return _svg_frame(body, "false positive rate", "true positive rate")


def roc_pair_svg(champion: Sequence[Sequence[float]], challenger: Sequence[Sequence[float]]) -> str:
    """Both ROC curves on one chart: the champion grey, the challenger blue, with a legend."""
    x0, y0 = _xy(0, 0)
    x1, y1 = _xy(1, 1)
    lines = [f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" stroke-dasharray="4"/>']
    for points, colour, name, row in (
        (champion, "#777", "champion", 0),
        (challenger, "#1f5fbf", "challenger", 1),
    ):
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in (_xy(x, y) for x, y in points))
        lines.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        lx, ly = _xy(0.55, 0.22 - 0.09 * row)
        lines.append(
            f'<line x1="{lx:.1f}" y1="{ly:.1f}" x2="{lx + 16:.1f}" y2="{ly:.1f}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text x="{lx + 20:.1f}" y="{ly + 4:.1f}" font-size="11">{name}</text>'
        )
    return _svg_frame("".join(lines), "false positive rate", "true positive rate")


def calibration_svg(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    top = max(max(r["predicted_pd"], r["observed_rate"]) for r in rows) or 1.0
    width = (_SIZE - 2 * _PAD) / len(rows)
    bars = []
    for i, r in enumerate(rows):
        for j, (value, colour) in enumerate(
            ((r["predicted_pd"], "#aaa"), (r["observed_rate"], "#1f5fbf"))
        ):
            x, y = _xy(0, value / top)
            _, base = _xy(0, 0)
            left = x + i * width + j * width / 2 + 1
            bars.append(
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{width / 2 - 2:.1f}" '
                f'height="{base - y:.1f}" fill="{colour}"/>'
            )
    return _svg_frame("".join(bars), "score band (safest left)", f"rate (top {top:.2f})")


def _model_table(
    model: TrainedScorecard | TrainedGbm | None,
) -> tuple[str, list[str], list[list[str]]]:
    if isinstance(model, TrainedScorecard):
        header = ["feature", "bin", "count", "event rate", "WOE", "points"]
        rows = [
            [
                f.name,
                b.label,
                str(b.count),
                f"{b.event_rate:.4f}",
                f"{b.woe:.4f}",
                f"{b.points:.2f}",
            ]
            for f in model.features
            for b in f.bins
        ]
        return "Scorecard (trained on all rows)", header, rows
    if isinstance(model, TrainedGbm):
        gains = model.booster.feature_importance(importance_type="gain")
        order = sorted(range(len(model.features)), key=lambda i: -gains[i])
        rows = [
            [model.features[i], f"{gains[i]:.1f}", str(model.monotone.get(model.features[i], 0))]
            for i in order
        ]
        title = f"LightGBM (trained on all rows, {model.best_iteration} trees)"
        return title, ["feature", "gain", "monotone"], rows
    return "", [], []


def render_report(
    summary: Mapping[str, Any], model: TrainedScorecard | TrainedGbm | None = None
) -> str:
    template = _environment.from_string(_STABILITY + _TEMPLATE)
    title, header, rows = _model_table(model)
    return template.render(
        s=summary,
        roc=roc_svg(summary["roc"]),
        calibration_chart=calibration_svg(summary["calibration"]),
        model_title=title,
        model_header=header,
        model_rows=rows,
    )


_COMPARISON = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Champion vs challenger — {{ c.champion.label }} / {{ c.challenger.label }}</title>
<style>
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",system-ui,sans-serif;margin:2rem;
color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}th{background:#f3f3f3}
td.l,th.l{text-align:left}.warn{color:#b00}.better{color:#176d2c}
.charts{display:flex;gap:2rem;flex-wrap:wrap}figure{margin:0}figcaption{font-weight:bold}
.side{display:flex;gap:2rem;flex-wrap:wrap}
</style></head><body>
<h1>Champion vs challenger</h1>
<p>Champion <b>{{ c.champion.label }}</b> ({{ c.champion.kind }}) against challenger
<b>{{ c.challenger.label }}</b> ({{ c.challenger.kind }}) on the same {{ c.n_rows }} rows,
{{ c.n_bad }} bad ({{ "%.2f"|format(100 * c.bad_rate) }} %){% if c.data_hash %};
data {{ c.data_hash }}{% endif %}{% if c.target %}, target <b>{{ c.target }}</b>
(bad = {{ c.bad_value }}){% endif %}.</p>
<h2>Discrimination and accuracy</h2>
<table><tr><th class="l">metric</th><th>champion</th><th>challenger</th>
<th>challenger − champion</th></tr>
{% for m in ["auc", "gini", "ks", "brier"] %}{% set d = c.deltas[m] %}
<tr><td class="l">{{ m | upper }}</td><td>{{ "%.4f"|format(c.champion[m]) }}</td>
<td>{{ "%.4f"|format(c.challenger[m]) }}</td>
<td class="{{ 'better' if (d < 0 if m == 'brier' else d > 0) else '' }}">
{{- "%+.4f"|format(d) }}</td>
</tr>{% endfor %}
<tr><td class="l">mean PD</td><td>{{ "%.4f"|format(c.champion.mean_pd) }}</td>
<td>{{ "%.4f"|format(c.challenger.mean_pd) }}</td>
<td>{{ "%+.4f"|format(c.challenger.mean_pd - c.champion.mean_pd) }}</td></tr></table>
<p>DeLong test of the AUC difference: z = {{ "%.3f"|format(c.delong.z) }},
p = <b{% if c.delong.p_value < 0.05 %} class="warn"{% endif %}>
{{- "%.4f"|format(c.delong.p_value) }}</b>
({{ "significant at 5 %" if c.delong.p_value < 0.05 else "not significant at 5 %" }}).
Spearman rank correlation of the two rankings:
{% if c.rank_correlation is not none %}{{ "%.4f"|format(c.rank_correlation) }}
{%- else %}–{% endif %}.
</p>
<div class="charts">
<figure><figcaption>ROC of both models</figcaption>{{ roc | safe }}</figure>
</div>
<h2>Calibration by grade</h2>
<p>Grades of the master scale (a trained model's PD takes the grade whose PD is nearest on the
log scale); the p-value is the two-sided exact binomial test of the observed bads against the
grade's mean predicted PD.</p>
<div class="side">
{% for side in [c.champion, c.challenger] %}
<table><caption>{{ side.label }}</caption>
<tr><th class="l">grade</th><th>rows</th><th>bads</th><th>predicted PD</th>
<th>observed rate</th><th>p-value</th></tr>
{% for r in side.calibration %}<tr><td class="l">{{ r.grade }}</td><td>{{ r.count }}</td>
<td>{{ r.bads }}</td><td>{{ "%.4f"|format(r.predicted_pd) }}</td>
<td>{{ "%.4f"|format(r.observed_rate) }}</td>
<td{% if r.p_value < 0.05 %} class="warn"{% endif %}>{{ "%.4f"|format(r.p_value) }}</td></tr>
{% endfor %}</table>
{% endfor %}
</div>
<h2>Grade migration</h2>
<p>Rows by the champion's grade (down) and the challenger's (across):
{{ "%.1f"|format(100 * c.upgraded) }} % get a better grade from the challenger,
{{ "%.1f"|format(100 * c.downgraded) }} % a worse one.</p>
<table><tr><th class="l">champion \\ challenger</th>
{% for g in grades %}<th>{{ g }}</th>{% endfor %}</tr>
{% for g in grades %}<tr><th class="l">{{ g }}</th>
{% for h in grades %}<td>{{ c.grade_migration[g][h] }}</td>{% endfor %}</tr>{% endfor %}
</table>
</body></html>
"""


def render_comparison(comparison: Mapping[str, Any]) -> str:
    """The champion-vs-challenger page of :func:`fengkong.scoring.lab.compare.compare`."""
    template = _environment.from_string(_COMPARISON)
    return template.render(
        c=comparison,
        roc=roc_pair_svg(comparison["champion"]["roc"], comparison["challenger"]["roc"]),
        grades=list(comparison["grade_migration"]),
    )
