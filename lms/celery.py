"""The Celery app: background work (a large exam's regrade) off the request.

Configured from Django's settings (``CELERY_*``). Without ``CELERY_BROKER_URL`` (the embedded
demo, the tests) tasks run inline, in the caller's process (``CELERY_TASK_ALWAYS_EAGER``), so
nothing needs a broker or a worker. With one: ``celery -A lms worker``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
