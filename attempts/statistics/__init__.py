"""The read side: numbers derived from stored attempts, never written back.

- ``rounding``: the one half-up rounding every shown number goes through;
- ``ranking``: the one rank (ties share a rank) and the ranked population;
- ``subjects``: the one subject roll-up (a subject sums its subtree);
- ``attempt``: one attempt by section, subject and difficulty, its standing and speed;
- ``exam``: one exam's overview and summary (the one mean score and pass rate);
- ``items``: item analysis with Moodle's formulas (the exam statistics page and API).

This package's ``__init__`` imports nothing, so the pure ``attempts.scoring`` may use
``rounding`` without loading Django models.
"""
