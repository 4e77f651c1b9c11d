"""The web: the members' site (``/``) and the staff's console (``/console``), pages
rendered on the server (Jinja2) in 中文 and English, htmx for what changes in place,
ECharts for charts, every asset served from the package itself."""
