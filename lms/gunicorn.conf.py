"""gunicorn settings: ``gunicorn -c lms/gunicorn.conf.py`` (``make serve``, deployments).

Processes × threads, both from the environment: WEB_CONCURRENCY worker processes (about one
per CPU core) of GUNICORN_THREADS threads each. The threads share a process's psycopg pool,
whose size follows GUNICORN_THREADS (DB_POOL_MAX_SIZE in lms/settings.py).
"""

import os

wsgi_app = "lms.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A request longer than this is a bug (exports stream in well under it); the worker restarts.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Behind a proxy: trust its X-Forwarded-* headers only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
