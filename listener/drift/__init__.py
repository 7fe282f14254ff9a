"""Drift detection as pure functions over weekly counts: no database, no I/O.

``model`` holds the data (workspaces, findings, the ``drift:`` config), ``expected`` the
per-source expectations and degraded weeks, ``stats`` the exact tests, ``week`` one week's
tests over every cell, ``detect`` the findings and episodes week by week, ``themes`` and
``segments`` the findings beyond single attributes.
"""
