"""The public APIs, one package per contract (``testpress/``: Testpress's admin attempts API).

A contract package holds all of its clients' vocabulary: URLs, views, serializers, filters,
pagination, labels, the authentication header it accepts and the HTTP status of each domain
error. The modules here are what every contract shares: who may call a reviewer's endpoint
(``permissions``, through ``lms.access``), the exception handler that maps domain errors with
the mapping of the view that raised them (``errors``), a JWT authentication with a contract's
own header prefixes (``authentication``) and OpenAPI helpers (``schema``).
"""
