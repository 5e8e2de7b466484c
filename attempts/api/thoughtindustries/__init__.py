"""Thought Industries' ``GET /incoming/v2/assessmentAttempts``, served on API keys.

A data warehouse or HR system that reads Thought Industries reads our attempts by changing
the host: the same query parameters, envelope and keys (``seed_keys`` maps every key of
Thought Industries' example to our source, or says it is not provided). Modules: ``urls``,
``views``, ``filters`` (the query parameters), ``pagination`` (offset and signed keyset
cursors), ``serializers`` (the shape), ``rows`` (loading a page in a fixed number of
queries), ``labels`` (their words for our values) and ``seed_keys``.
"""
