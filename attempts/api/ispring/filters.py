"""The query parameters of ``GET /learners/modules/results``, exactly as iSpring names them,
validated in one place: a bad value is a 400 keyed by the parameter as sent
(``{"userIds[]": ["“x” is not a valid UUID."]}``).

Arrays are repeated parameters, ``userIds[]=a&userIds[]=b``; the bare name (``userIds=a``)
is accepted too. Date ranges are ``accessDate[startDate]``/``accessDate[endDate]`` (either
bound alone), ISO 8601, inclusive; an instant without offset is UTC.
``completionStatuses`` also answers to ``completionStatus`` (the seed's example writes
that).
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from attempts.api.ispring import labels

DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 5000
MAX_VALUES = 1000  # per array parameter

UUID_ARRAYS = {
    "userIds": "user_ids",
    "courseIds": "course_ids",
    "moduleIds": "module_ids",
    "courseItemIds": "course_item_ids",
    "departmentIds": "department_ids",
}
RANGES = {"accessDate": "access", "dueDate": "due", "completionDate": "completion"}
USER_STATUSES = {"1": True, "3": False}  # active, blocked (from ``User.is_active``)


@dataclass
class Query:
    user_ids: list = field(default_factory=list)
    course_ids: list = field(default_factory=list)
    module_ids: list = field(default_factory=list)
    course_item_ids: list = field(default_factory=list)
    department_ids: list = field(default_factory=list)
    enrollment_ids: list = field(default_factory=list)
    # {"access": (start, end), ...}, either bound None
    ranges: dict = field(default_factory=dict)
    completion_statuses: list = field(default_factory=list)
    user_active: list = field(default_factory=lambda: [True])
    page_size: int = DEFAULT_PAGE_SIZE
    page_token: str | None = None

    def fingerprint(self) -> str:
        """A digest of the filters, carried in page tokens: a token continues only the walk
        it was issued for."""
        chosen = {
            name: sorted(str(v) for v in value) if isinstance(value, list) else str(value)
            for name, value in vars(self).items()
            if name not in ("page_size", "page_token")
        }
        return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:16]


def _values(params, name: str, *aliases: str) -> tuple[str, list[str]]:
    """The values of an array parameter under any of its names, and the name used."""
    sent = name + "[]"
    values = []
    for key in (f"{name}[]", name, *(a for alias in aliases for a in (f"{alias}[]", alias))):
        got = params.getlist(key)
        if got:
            sent = key if not values else sent
            values += got
    return sent, values


def parse(params) -> Query:
    query, errors = Query(), {}
    for name, attribute in UUID_ARRAYS.items():
        sent, values = _values(params, name)
        parsed = []
        for value in values:
            try:
                parsed.append(uuid.UUID(value))
            except ValueError:
                errors.setdefault(sent, []).append(f"“{value}” is not a valid UUID.")
        setattr(query, attribute, parsed)
    sent, values = _values(params, "enrollmentIds")
    for value in values:
        if value.isdigit() and len(value) < 19:
            query.enrollment_ids.append(int(value))
        else:
            errors.setdefault(sent, []).append(f"“{value}” is not an enrollment id.")
    for name, key in RANGES.items():
        bounds = []
        for bound in ("startDate", "endDate"):
            param = f"{name}[{bound}]"
            raw = params.get(param)
            if raw is None:
                bounds.append(None)
                continue
            try:
                bounds.append(serializers.DateTimeField().to_internal_value(raw))
            except ValidationError:
                errors[param] = ["Not an ISO 8601 date and time, e.g. 2024-01-31T09:00:00Z."]
                bounds.append(None)
        if any(b is not None for b in bounds):
            query.ranges[key] = tuple(bounds)
    sent, values = _values(params, "completionStatuses", "completionStatus")
    for value in values:
        if value not in labels.COMPLETION_STATUSES:
            allowed = ", ".join(labels.COMPLETION_STATUSES)
            errors.setdefault(sent, []).append(f"“{value}” is not one of: {allowed}.")
    query.completion_statuses = values
    sent, values = _values(params, "userStatuses")
    if values:
        bad = [v for v in values if v not in USER_STATUSES]
        if bad:
            errors[sent] = [f"“{v}” is not 1 (active) or 3 (blocked)." for v in bad]
        query.user_active = sorted({USER_STATUSES[v] for v in values if v in USER_STATUSES})
    for name, values in (("userIds", query.user_ids), ("moduleIds", query.module_ids)):
        if len(values) > MAX_VALUES:
            errors[f"{name}[]"] = [f"At most {MAX_VALUES} values."]
    raw = params.get("pageSize")
    if raw is not None:
        if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE:
            query.page_size = int(raw)
        else:
            errors["pageSize"] = [f"A whole number from 1 to {MAX_PAGE_SIZE}."]
    token = params.get("pageToken")
    if token is not None:
        if not token or len(token) > 500:
            errors["pageToken"] = ["Not a page token of this API: start again without one."]
        query.page_token = token
    if errors:
        raise ValidationError(errors)
    return query


def in_range(bounds: tuple[datetime | None, datetime | None], column: str) -> dict:
    start, end = bounds
    lookups = {}
    if start is not None:
        lookups[f"{column}__gte"] = start
    if end is not None:
        lookups[f"{column}__lte"] = end
    return lookups
