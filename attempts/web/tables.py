"""The instructor's attempt table (django-tables2). Cells read stored fields and a
``RankTable`` loaded once: rendering a page or an export runs no query per row."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from attempts.durations import format_hms
from attempts.models import Attempt

NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


def by(field: str) -> tuple[str, str]:
    """Sort by ``field`` then id: tables2 flips both for a descending sort, so rows with equal
    values keep one stable order and pages never overlap."""
    return (field, "-id" if field.startswith("-") else "id")


class NumberColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)


class AttemptTable(tables.Table):
    learner = tables.Column(
        accessor="user__username",
        verbose_name="Learner",
        order_by=by("user__username"),
        attrs={"th": {"class": "nowrap"}},
    )
    state = tables.Column(verbose_name="State", order_by=by("state"))
    started_at = tables.DateTimeColumn(
        verbose_name="Started",
        format="Y-m-d H:i",
        order_by=by("started_at"),
        attrs={"td": {"class": "nowrap"}, "th": {"class": "nowrap"}},
    )
    time_taken = tables.Column(accessor="pk", verbose_name="Time taken", orderable=False, attrs=NUM)
    correct_count = NumberColumn(verbose_name="Correct", order_by=by("correct_count"))
    incorrect_count = NumberColumn(verbose_name="Incorrect", order_by=by("incorrect_count"))
    partial_count = NumberColumn(verbose_name="Partial", order_by=by("partial_count"))
    unanswered_count = NumberColumn(verbose_name="Unanswered", order_by=by("unanswered_count"))
    score = NumberColumn(verbose_name="Score", order_by=by("score"))
    percentage = NumberColumn(verbose_name="Percentage", order_by=by("percentage"))
    result = tables.Column(accessor="result_label", verbose_name="Result", orderable=False)
    # Rank orders like score: among completed attempts a higher score is a better rank.
    rank = NumberColumn(accessor="score", verbose_name="Rank", order_by=by("-score"))

    class Meta:
        model = Attempt
        fields = ()
        sequence = (
            "learner",
            "state",
            "started_at",
            "time_taken",
            "correct_count",
            "incorrect_count",
            "partial_count",
            "unanswered_count",
            "score",
            "percentage",
            "result",
            "rank",
        )
        order_by = ("-started_at",)
        template_name = "_partials/table.html"
        attrs = {"class": "striped"}
        empty_text = "No attempt matches these filters."

    def __init__(self, *args, ranks, now=None, caption="Attempts", **kwargs):
        super().__init__(*args, **kwargs)
        self.ranks = ranks
        self.now = now
        self.caption = caption

    def render_learner(self, record):
        url = reverse("attempt-detail", args=[record.pk])
        return format_html(
            '<a href="{}">{}</a><br><small>{}</small>', url, record.user.name, record.user.username
        )

    def value_learner(self, record):
        return f"{record.user.name} ({record.user.username})"

    def render_state(self, record):
        return record.get_state_display()

    def value_state(self, record):
        return record.get_state_display()

    def render_time_taken(self, record):
        return format_hms(record.time_taken(self.now)) or "—"

    def value_time_taken(self, record):
        return format_hms(record.time_taken(self.now)) or ""

    def render_result(self, record):
        label = record.result_label
        return format_html('<span class="badge badge-{}">{}</span>', label.lower(), label)

    def value_result(self, record):
        return record.result_label

    def _rank(self, record):
        """Only attempts of the ranked population have a rank (attempts.statistics.ranking)."""
        return self.ranks.rank_of(record)

    def render_rank(self, record):
        rank = self._rank(record)
        return "—" if rank is None else rank

    def value_rank(self, record):
        rank = self._rank(record)
        return "" if rank is None else rank

    def value_started_at(self, value):
        return value.isoformat()

    def value_score(self, value):
        return value

    def value_percentage(self, value):
        return value
