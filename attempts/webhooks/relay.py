"""From the outbox to messages: the relay reads committed ``AttemptEvent`` rows in id order and
writes one ``Message`` per event and endpoint that wants it.

Why a relay and not ``transaction.on_commit``: an on-commit hook runs after the commit, so a
process that dies between the two loses the message for good. The relay reads the events
themselves, which are committed with the change they record, and keeps a cursor (the last id it
finished): a crash before the cursor moves repeats the pass, and the unique (event, endpoint)
constraint makes the repeat write nothing twice. Nothing committed is skipped.

Ids are handed out at insert but become visible at commit, so a later id can be seen before
an earlier one commits. The cursor therefore remembers the missing ids below it (``awaited``)
and looks for them again on every pass, for ``WEBHOOK_RELAY_GAP_GRACE`` seconds of wall-clock
time (a rolled-back transaction leaves a gap for ever, so the wait must end).
"""

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from assessments.models import AnswerChoice, ExamQuestion
from attempts.models import Attempt, AttemptEvent, UserAnswer
from attempts.webhooks import payload
from attempts.webhooks.models import Endpoint, Message, RelayCursor

Kind = AttemptEvent.Kind

EVENT_TYPE_OF_KIND = {
    Kind.STARTED: "attempt.started",
    Kind.SUBMITTED: "attempt.completed",
    Kind.FINALIZED: "attempt.completed",
    Kind.IMPORTED: "attempt.completed",
    Kind.EVALUATED: "attempt.evaluated",
    Kind.RESCORED: "attempt.rescored",
    Kind.OVERRIDDEN: "attempt.rescored",
    Kind.REGRADED: "attempt.rescored",
    Kind.REGRADE_UNDONE: "attempt.rescored",
}


def load_statuses(attempt_ids) -> dict[int, dict]:
    """AttemptStatus objects of ``attempt_ids``, in five queries whatever their number."""
    # 1: the attempts with their learner, exam and course, and whether one came from paper
    offline = AttemptEvent.objects.filter(
        attempt_id=OuterRef("pk"), kind=Kind.IMPORTED, details__source=AttemptEvent.OFFLINE_SOURCE
    )
    attempts = (
        Attempt.objects.filter(pk__in=attempt_ids)
        .select_related("user", "exam__course")
        .annotate(offline=Exists(offline))
    )
    attempts = {a.pk: a for a in attempts}
    exam_ids = {a.exam_id for a in attempts.values()}
    # 2: their answers in exam order, with the question
    answers = defaultdict(list)
    rows = (
        UserAnswer.objects.filter(attempt_id__in=attempts)
        .select_related("exam_question__question")
        .order_by("attempt_id", "exam_question__order", "exam_question_id")
    )
    for answer in rows:
        answers[answer.attempt_id].append(answer)
    # 3: the chosen choices of those answers
    chosen = defaultdict(list)
    through = UserAnswer.selected_choices.through.objects.filter(
        useranswer__attempt_id__in=attempts
    ).select_related("answerchoice")
    for link in through.order_by("answerchoice__order", "answerchoice_id"):
        chosen[link.useranswer_id].append(link.answerchoice)
    # 4: the keys of the questions of those exams
    keys = defaultdict(list)
    key_rows = AnswerChoice.objects.filter(
        is_correct=True, question__placements__exam_id__in=exam_ids
    ).distinct()
    for choice in key_rows.order_by("order", "id"):
        keys[choice.question_id].append(choice)
    # 5: the lowest score of each exam
    minimum = dict(
        ExamQuestion.objects.filter(exam_id__in=exam_ids, is_bonus=False)
        .values("exam_id")
        .annotate(low=Sum("negative_marks"))
        .values_list("exam_id", "low")
    )
    return {
        pk: payload.attempt_status(
            attempt,
            answers[pk],
            chosen=chosen,
            keys=keys,
            minimum=-(minimum.get(attempt.exam_id) or 0),
            client_id=settings.WEBHOOK_CLIENT_ID,
            offline=attempt.offline,
        )
        for pk, attempt in attempts.items()
    }


def relay_events(*, batch: int = 500, wall_now: datetime | None = None) -> int:
    """Turn the next ``batch`` events (and any awaited late ones) into messages; returns how
    many events were read (0: nothing new), so callers loop until it is 0."""
    wall_now = wall_now or timezone.now()
    RelayCursor.objects.get_or_create(pk=1)
    with transaction.atomic():
        cursor = RelayCursor.objects.select_for_update().get(pk=1)
        fields = ("pk", "attempt_id", "kind", "at")
        events = list(
            AttemptEvent.objects.filter(pk__gt=cursor.last_event_id)
            .order_by("pk")
            .values(*fields)[:batch]
        )
        late = []
        if cursor.awaited:
            late = list(
                AttemptEvent.objects.filter(pk__in=[int(pk) for pk in cursor.awaited]).values(
                    *fields
                )
            )
        _advance(cursor, [e["pk"] for e in events], {e["pk"] for e in late}, wall_now)
        events += late
        if events:
            _write_messages(events, wall_now)
    return len(events)


def _write_messages(events: list[dict], wall_now: datetime) -> int:
    endpoints = list(Endpoint.objects.filter(active=True))
    wanted = [
        (event, endpoint, EVENT_TYPE_OF_KIND[event["kind"]])
        for event in events
        if event["kind"] in EVENT_TYPE_OF_KIND
        for endpoint in endpoints
        if endpoint.wants(EVENT_TYPE_OF_KIND[event["kind"]])
    ]
    if not wanted:
        return 0
    statuses = load_statuses({e["attempt_id"] for e, _, _ in wanted})
    messages = []
    for event, endpoint, event_type in wanted:
        message = Message(
            endpoint=endpoint, event_id=event["pk"], event_type=event_type, next_try_at=wall_now
        )
        message.payload = payload.envelope(
            event_type=event_type,
            message_id=message.webhook_id,
            sequence=event["pk"],
            at=event["at"],
            data=statuses[event["attempt_id"]],
        )
        messages.append(message)
    # A repeated pass (a crash before the cursor moved) writes nothing twice.
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    return len(messages)


def _advance(cursor: RelayCursor, ids: list[int], found_late: set[int], wall_now) -> None:
    """Move the cursor past ``ids``; ids missing between them (and below, unless this is the
    first event ever seen) are awaited until the grace period ends."""
    grace = settings.WEBHOOK_RELAY_GAP_GRACE
    awaited = {
        pk: seen
        for pk, seen in cursor.awaited.items()
        if int(pk) not in found_late
        and (wall_now - datetime.fromisoformat(seen)).total_seconds() < grace
    }
    if ids:
        start = cursor.last_event_id + 1 if cursor.last_event_id else ids[0]
        for pk in sorted(set(range(start, ids[-1] + 1)) - set(ids)):
            awaited[str(pk)] = wall_now.isoformat()
        cursor.last_event_id = ids[-1]
    elif awaited == cursor.awaited:
        return  # an idle pass: nothing to write (the relay polls every 2 s)
    cursor.awaited = awaited
    cursor.save(update_fields=["last_event_id", "awaited"])
