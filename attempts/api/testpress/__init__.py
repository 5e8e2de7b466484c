"""Testpress's admin attempts API: the attempt list and detail (v2.5), an attempt's answers
(v3), the exams and users that attempts link to, and the auth-token endpoints.

Admins and instructors call it (``lms.access.is_reviewer``); each sees what
``reviewable_by`` gives them. Field names, labels, formats, paging, error bodies and the
``JWT <token>`` header are Testpress's, as its documentation describes them.
"""
