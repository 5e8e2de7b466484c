"""Exam summary page (placeholder: being built)."""

from django.http import Http404
from django.views import View


class ExamSummaryView(View):
    def dispatch(self, request, *args, **kwargs):
        raise Http404("Not built yet.")
