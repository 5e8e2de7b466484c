# The Celery app loads with Django, so @shared_task binds to it (see lms/celery.py).
from lms.celery import app as celery_app

__all__ = ("celery_app",)
