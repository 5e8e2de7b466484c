"""Attempt detail, essay evaluation and the evaluation queue (placeholders: being built)."""

from django.http import Http404
from django.views import View


class _NotYet(View):
    def dispatch(self, request, *args, **kwargs):
        raise Http404("Not built yet.")


class AttemptDetailView(_NotYet):
    pass


class EvaluateAnswerView(_NotYet):
    pass


class EvaluationQueueView(_NotYet):
    pass
