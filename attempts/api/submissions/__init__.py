"""The learner assessments and submissions API (``/api/v1/``): list, create and change
assessments, add questions, and submit a learner's answers to get the result back at once.

Its vocabulary is the contract's own: assessments (exams), submissions (finished attempts),
prefixed public ids (``public_ids``), ``page``/``per_page`` paging, integer percentages and
minutes, RFC 9457 problem details for every error (``errors``), ``Idempotency-Key`` on
its POSTs (``idempotency``) and ``Authorization: Bearer <token>`` or a browser session.
Who sees what is ``lms.access``'s rule; every write goes through the services.
"""
