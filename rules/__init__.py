"""The pbtlint rule catalogue: one module per rule, its documentation in its docstring.

Installed as ``pbtlint.rules`` (never as a top-level ``rules`` package).
"""
