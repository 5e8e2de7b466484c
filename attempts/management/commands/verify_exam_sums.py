"""``manage.py verify_exam_sums [--exam ID ...] [--fix]``: compare the stored sums of exams
(``attempts.tallies``) with a full recomputation from their attempts and answers."""

import csv
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from assessments.models import Exam
from attempts.tallies import exam_sums_differences, exam_sums_rebuild


class Command(BaseCommand):
    help = (
        "Compare each exam's stored sums (attempt counts, score and answer histograms) with a "
        "full recomputation; print every differing cell as CSV (exam, table, cell, stored, "
        "recomputed) and exit 1 when any differs. --fix rebuilds the exams that differ "
        "(then exits 0)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--exam", type=int, action="append", dest="exam_ids", metavar="ID")
        parser.add_argument("--fix", action="store_true", help="Rebuild the exams that differ.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, exam_ids=None, fix=False, no_progress=False, **options):
        exams = Exam.objects.order_by("pk")
        if exam_ids:
            exams = exams.filter(pk__in=exam_ids)
            unknown = sorted(set(exam_ids) - set(exams.values_list("pk", flat=True)))
            if unknown:
                raise CommandError(f"No exam with id {', '.join(map(str, unknown))}.")
        ids = list(exams.values_list("pk", flat=True))
        writer = csv.writer(self.stdout, lineterminator="\n")
        wrong = []
        # mininterval: a log file gets a line every few seconds, not one per exam.
        for exam_id in tqdm(
            ids, desc="Exams", unit="exam", disable=no_progress, file=self.stderr, mininterval=5
        ):
            differences = exam_sums_differences([exam_id])
            if not differences:
                continue
            if not wrong:
                writer.writerow(["exam", "table", "cell", "stored", "recomputed"])
            wrong.append(exam_id)
            for table, cells in sorted(differences.items()):
                for key, (stored, fresh) in sorted(cells.items(), key=lambda item: str(item[0])):
                    writer.writerow(
                        [exam_id, table, _values(key[1:]), _values(stored), _values(fresh)]
                    )
            if fix:
                with transaction.atomic():
                    exam_sums_rebuild(exam_id)
        exams_word = "exam" if len(ids) == 1 else "exams"
        self.stdout.write(f"{len(ids)} {exams_word} checked, {len(wrong)} with differences")
        if wrong and fix:
            self.stdout.write(f"Rebuilt the sums of exam(s) {', '.join(map(str, wrong))}.")
        elif wrong:
            sys.exit(1)


def _values(values) -> str:
    """A cell's key (without the exam) or values as the CSV shows them: ``(n, passed)``,
    ``(n,)``, ``(n, marks)``; ``-`` for a cell one side lacks."""
    if values is None:
        return "-"
    return "(" + ", ".join(str(v) for v in values) + (",)" if len(values) == 1 else ")")
