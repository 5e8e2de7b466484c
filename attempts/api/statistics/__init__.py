"""``GET /api/v1/assessments/<id>/statistics``: the item analysis of one exam, as JSON.

Built apart until the submissions contract (``attempts.api.submissions``) lands: the lead
wires this path into that package and its public ids at merge. Until then the id is the
exam's uuid.
"""
