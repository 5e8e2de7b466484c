"""AttemptStatus webhooks: subscriptions, messages from the ``AttemptEvent`` outbox, signed
delivery with retries, and the delivery log (issue 14).

Its own Django app (label ``webhooks``) so that its tables and migrations stay apart from the
attempts app's. The flow: ``relay.relay_events`` reads committed events in id order and writes
one ``Message`` per wanted event and endpoint (with its payload, ``payload.attempt_status``);
``delivery.deliver_due`` sends what is due, several at once (threads, a cap per endpoint),
signed with ``standardwebhooks``, through ``transport`` (the address checked is the address
connected to), and records every try as a ``DeliveryAttempt``. Celery (``tasks``) and ``manage.py deliver_webhooks`` run
the same two functions.
"""
