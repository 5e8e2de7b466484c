from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from assessments.models import Exam
from attempts.models import Attempt
from attempts.services import exam_rescore


class Command(BaseCommand):
    help = (
        "Recompute the finished attempts of an exam from their stored answers, after a change "
        "of key or marks. Only answers whose outcome or marks change are written."
    )

    def add_arguments(self, parser):
        parser.add_argument("exam_ids", nargs="+", type=int, metavar="EXAM_ID")
        parser.add_argument("--chunk-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, exam_ids, chunk_size, no_progress, **options):
        exams = {exam.pk: exam for exam in Exam.objects.filter(pk__in=exam_ids)}
        unknown = sorted(set(exam_ids) - set(exams))
        if unknown:
            raise CommandError(f"No exam with id {', '.join(map(str, unknown))}.")
        for exam_id in exam_ids:
            exam = exams[exam_id]
            todo = Attempt.objects.finished().filter(exam=exam).count()
            with tqdm(
                total=todo,
                desc=f"Exam {exam.pk} {exam.title[:30]}",
                unit="attempt",
                disable=no_progress,
                file=self.stderr,
            ) as bar:
                done = exam_rescore(exam=exam, chunk_size=chunk_size, progress=bar.update)
            self.stdout.write(self.style.SUCCESS(f"Rescored {done} attempt(s) of “{exam.title}”."))
