"""The runtime verification shim: AL tests generated from the static model, and their results read back.

:mod:`pbtlint.shim.manifest` is the contract between the two halves: the generator writes
``pbtlint-shim.json`` beside the AL it generates, and the importer maps test results back to rule ids and
source locations through it.
"""
