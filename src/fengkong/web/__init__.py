"""Server-rendered UI (Jinja2 + htmx + ECharts), in zh_CN and en."""
