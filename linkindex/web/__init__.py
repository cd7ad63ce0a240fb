"""The web interface over the link index: ``linkindex serve`` and ``linkindex report --html``.

``app`` (routes, security), ``views`` (the table pages: filters, sorting,
pages), ``overview`` (one domain's numbers and charts), ``db`` (the locked,
read-only connection), ``render`` (templates and how values are shown),
``htmlreport`` (the overview as one self-contained file). Templates are in
``templates/``; styles, scripts and the charting library (Chart.js, MIT,
vendored from the npm registry with its licence) in ``static/``.

Needs the ``web`` extra: ``pip install 'linkindex[web]'``.
"""
