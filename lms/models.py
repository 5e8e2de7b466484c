"""Shared LMS entities: users, courses, enrollments, the subject and department trees."""

import hmac
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.crypto import salted_hmac


class UserQuerySet(models.QuerySet):
    def reviewable_by(self, user):
        """Users ``user`` may look up (``lms.access.users_reviewable_by``)."""
        from lms import access

        return self.filter(access.users_reviewable_by(user))


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    # Stable public identifier for integrations; the integer pk stays internal to joins.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phone = models.CharField(max_length=32, blank=True)
    # What reports show; falls back to "first last" and then the username (see ``name``).
    display_name = models.CharField(max_length=150, blank=True)
    # Written into every API token when it is issued (``attempts.api.tokens``); a token whose
    # version differs is refused. Bumped by a password change, a deactivation and "sign out
    # everywhere", which revokes every token issued before.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # IANA name of the zone the pages show this user's times in (``lms.middleware.
    # UserTimeZoneMiddleware``); stored values stay UTC. Checked against ``zoneinfo`` by the
    # preferences form, not by choices: the list is the system's, and changes with it.
    time_zone = models.CharField(max_length=64, default="UTC")

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # Case-insensitive exact lookups (admin and page searches use iexact) compare
        # UPPER(column) on PostgreSQL: index that expression, not the plain column.
        indexes = [
            models.Index(Upper("email"), name="user_email_upper_idx"),
            models.Index(Upper("username"), name="user_username_upper_idx"),
        ]

    def __str__(self):
        return self.username

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        # What the database holds, for save() to notice a deactivation without a query.
        user._stored_is_active = user.__dict__.get("is_active")
        return user

    def set_password(self, raw_password):
        super().set_password(raw_password)
        if not getattr(self, "_rehashing", False):
            self.token_version += 1  # tokens issued with the old password stop working

    # Django calls set_password from check_password to upgrade an old hash (same password,
    # new hasher or iterations): no password change, so tokens stay valid.
    def check_password(self, raw_password):
        self._rehashing = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing = False

    async def acheck_password(self, raw_password):
        self._rehashing = True
        try:
            return await super().acheck_password(raw_password)
        finally:
            self._rehashing = False

    def save(self, *args, **kwargs):
        if getattr(self, "_stored_is_active", None) and not self.is_active:
            self.token_version += 1  # a deactivated account's tokens stay dead if reactivated
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"password", "is_active"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "token_version"}
        super().save(*args, **kwargs)
        self._stored_is_active = self.is_active

    def revoke_tokens(self) -> None:
        """Sign out everywhere: every API token issued so far and every browser session stop
        working (the session hash below carries the same version)."""
        User.objects.filter(pk=self.pk).update(token_version=models.F("token_version") + 1)
        self.refresh_from_db(fields=["token_version"])

    def get_session_auth_hash(self):
        return self._session_hash()

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret)

    def _session_hash(self, secret=None) -> str:
        """Django's session hash (an HMAC of the password hash, checked on every request),
        with ``token_version`` mixed in: what revokes the API tokens (a password change, a
        deactivation, sign out everywhere) ends every browser session too. At version 0 it is
        exactly Django's, so sessions made before this existed stay valid."""
        value = self.password
        if self.token_version:
            value = f"{value}:{self.token_version}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def name(self) -> str:
        return self.name_from(self.display_name, self.first_name, self.last_name, self.username)

    @staticmethod
    def name_from(display_name: str, first_name: str, last_name: str, username: str) -> str:
        """``name`` from the fields alone (exports read rows as tuples): the display name,
        else "first last" (Django's ``get_full_name``), else the username."""
        return display_name or f"{first_name} {last_name}".strip() or username

    @property
    def is_admin(self) -> bool:
        """A staff account (``lms.access.is_admin``), for templates."""
        from lms import access

        return access.is_admin(self)

    @property
    def is_reviewer(self) -> bool:
        """An admin or an instructor (``lms.access.is_reviewer``), for templates."""
        from lms import access

        return access.is_reviewer(self)


class CourseQuerySet(models.QuerySet):
    def reviewable_by(self, user):
        """Courses ``user`` reviews (``lms.access.courses_reviewable_by``)."""
        from lms import access

        return self.filter(access.courses_reviewable_by(user))


class Course(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    # The course's id in another system (an HR or training catalogue): the webhooks send it
    # as ``activity.externalId``. Optional, not unique (two catalogues may share one).
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Instructors review attempts of this course's exams and evaluate its essays; the
    # visibility rules of every list (API, pages, admin) go through this relation.
    instructors = models.ManyToManyField(User, related_name="taught_courses", blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self):
        return self.title


class Enrollment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    # Only ACTIVE enrollments may start attempts; the others keep history visible.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="Soft deadline shown to the learner."
    )
    # Hard end of access: after it the enrollment counts as expired whatever its status says.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-enrolled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], name="enrollment_unique_user_course"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gte=models.F("enrolled_at")),
                name="enrollment_expires_after_enrolled",
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.course}"

    def is_active_at(self, when) -> bool:
        """Active status, begun (``enrolled_at``) and not expired at ``when``."""
        return (
            self.status == self.Status.ACTIVE
            and self.enrolled_at <= when
            and (self.expires_at is None or when < self.expires_at)
        )


class SubjectQuerySet(models.QuerySet):
    def attach_full_paths(self, subjects):
        """Set ``full_path`` on each subject of ``subjects`` with one query for all ancestors."""
        subjects = list(subjects)
        wanted = {pk for s in subjects for pk in s.ancestor_ids}
        names = dict(self.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
        for subject in subjects:
            subject._full_path = Subject.PATH_SEPARATOR.join(
                [names.get(pk, "?") for pk in subject.ancestor_ids] + [subject.name]
            )
        return subjects


class Subject(models.Model):
    """A node of the subject tree (any depth), stored with a materialised path.

    ``path`` lists the ids from the root down to this node, e.g. ``"1/4/9/"`` for Optics (9)
    under Physics (4) under Science (1). Ancestors are then one ``pk__in`` query and descendants
    one indexed ``path LIKE '1/4/%'`` query, however deep the tree is.
    """

    PATH_SEPARATOR = " › "

    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of ids ("1/4/9/"), maintained by save(); never edited by hand.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    # Number of ancestors (0 for a root); kept with ``path`` for ordering and indentation.
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="subject_unique_name_per_parent"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="subject_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.parent_id and self.pk and str(self.pk) in self.parent.path.split("/"):
            raise ValueError(f"{self.parent} is inside {self}: a subject cannot move below itself.")
        old_path = self.path
        super().save(*args, **kwargs)
        new_path = self._expected_path()
        if new_path != old_path:
            self.path, self.depth = new_path, new_path.count("/") - 1
            Subject.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if old_path:
                self._move_descendants(old_path)

    def _expected_path(self) -> str:
        return f"{self.parent.path if self.parent_id else ''}{self.pk}/"

    def _move_descendants(self, old_path: str) -> None:
        """Rewrite the paths below a moved subject (rare: an admin re-parenting a branch)."""
        moved = []
        for node in Subject.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
            node.path = self.path + node.path[len(old_path) :]
            node.depth = node.path.count("/") - 1
            moved.append(node)
        Subject.objects.bulk_update(moved, ["path", "depth"])

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent, read from ``path`` without a query."""
        return [int(part) for part in self.path.split("/")[:-2] if part]

    def ancestors(self):
        """Ancestors from the root down (one query)."""
        return Subject.objects.filter(pk__in=self.ancestor_ids).order_by("depth")

    def descendants(self):
        """Every subject below this one, at any depth, in tree order (one query)."""
        return Subject.objects.filter(path__startswith=self.path).exclude(pk=self.pk)

    @property
    def full_path(self) -> str:
        """ "Science › Physics › Optics"; one query unless ``attach_full_paths`` set it."""
        if not hasattr(self, "_full_path"):
            Subject.objects.attach_full_paths([self])
        return self._full_path


class ApiClient(models.Model):
    """An integration's credentials: it acts for ``user``, so ``lms.access`` decides what it
    sees (an admin's client everything, an instructor's client that instructor's courses).

    The key a client sends is ``lmsk_<client_id>.<secret>``: the ``client_id`` finds the row
    (a unique index), and the secret is checked against ``secret_hash``, an HMAC-SHA256 of
    it under ``settings.API_KEY_HASH_KEY``. A secret of 256 random bits needs no slow
    password hasher (nobody can guess it from its hash), and a keyed hash makes a copy of
    the table useless without the server's key; checking costs a few microseconds. The
    secret itself is never stored: it is shown once, when the client is created.
    """

    KEY_PREFIX = "lmsk_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_clients")
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. “HR sync”.")
    # Public: the first part of every key, and what the admin lists.
    client_id = models.CharField(max_length=32, unique=True, editable=False)
    # HMAC-SHA256 (hex) of the secret; see the class docstring.
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # None: the key never expires.
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Written at most once a minute (attempts.api.authentication), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API client"

    def __str__(self):
        return f"{self.name} ({self.client_id})"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return salted_hmac(
            "lms.ApiClient", secret, secret=settings.API_KEY_HASH_KEY, algorithm="sha256"
        ).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str, expires_at=None) -> tuple["ApiClient", str]:
        """A new client and its secret (the only time the secret is known)."""
        client = cls(user=user, name=name, expires_at=expires_at)
        secret = client.set_new_secret()
        client.save()
        return client, secret

    def set_new_secret(self) -> str:
        """A fresh client id and secret (to show once); returns the secret."""
        self.client_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        self.secret_hash = self.hash_secret(secret)
        return secret

    def api_key(self, secret: str) -> str:
        """What an ``Authorization: Bearer`` header carries."""
        return f"{self.KEY_PREFIX}{self.client_id}.{secret}"

    @classmethod
    def split_key(cls, key: str) -> tuple[str, str] | None:
        """``(client_id, secret)`` of a key of ours, else None."""
        if not key.startswith(cls.KEY_PREFIX):
            return None
        client_id, dot, secret = key.removeprefix(cls.KEY_PREFIX).partition(".")
        return (client_id, secret) if dot and client_id and secret else None

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, self.hash_secret(secret))

    def refusal(self, now) -> str | None:
        """Why this client may not call the API now, or None."""
        if self.revoked_at is not None:
            return "This API key has been revoked."
        if self.expires_at is not None and now >= self.expires_at:
            return "This API key has expired."
        if not self.user.is_active:
            return "The account of this API key is inactive."
        return None


class DepartmentQuerySet(models.QuerySet):
    def attach_full_paths(self, departments):
        """Set ``full_path`` on each of ``departments`` with one query for all ancestors."""
        departments = list(departments)
        wanted = {pk for d in departments for pk in d.ancestor_ids}
        names = dict(self.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
        for department in departments:
            department._full_path = Department.PATH_SEPARATOR.join(
                [names.get(pk, "?") for pk in department.ancestor_ids] + [department.name]
            )
        return departments

    def with_descendants(self):
        """These departments and every department below them, at any depth: one query
        (``path LIKE '<path>%'`` for each, against the indexed ``path``)."""
        from django.db.models import Exists, OuterRef
        from django.db.models.lookups import StartsWith

        above = self.filter(StartsWith(OuterRef("path"), models.F("path")))
        return Department.objects.filter(Exists(above))


class Department(models.Model):
    """A node of the organisation's department tree (any depth), with a materialised path
    kept as ``Subject``'s is: ``path`` lists the ids from the root down ("1/4/9/"), so a
    department and everything below it is one indexed ``path LIKE '1/4/%'`` query.

    ``members`` are the people who belong to it; ``administrators`` manage it and every
    department below it: they review the attempts and results of the members of that
    branch (``lms.access``), across courses.
    """

    PATH_SEPARATOR = " › "

    name = models.CharField(max_length=120)
    # An organisation's own code for the department (HR systems' ids); optional, unique when set.
    code = models.CharField(max_length=64, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of ids ("1/4/9/"), maintained by save(); never edited by hand.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # Stable public identifier for integrations (the iSpring contract's ``departmentIds``).
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    members = models.ManyToManyField(User, blank=True, related_name="departments")
    administrators = models.ManyToManyField(User, blank=True, related_name="managed_departments")

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="department_unique_name_per_parent"
            ),
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="department_unique_code"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="department_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.parent_id and self.pk and str(self.pk) in self.parent.path.split("/"):
            raise ValueError(
                f"{self.parent} is inside {self}: a department cannot move below itself."
            )
        old_path = self.path
        super().save(*args, **kwargs)
        new_path = f"{self.parent.path if self.parent_id else ''}{self.pk}/"
        if new_path != old_path:
            self.path, self.depth = new_path, new_path.count("/") - 1
            Department.objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if old_path:
                moved = []
                for node in Department.objects.filter(path__startswith=old_path).exclude(
                    pk=self.pk
                ):
                    node.path = self.path + node.path[len(old_path) :]
                    node.depth = node.path.count("/") - 1
                    moved.append(node)
                Department.objects.bulk_update(moved, ["path", "depth"])

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent, read from ``path`` without a query."""
        return [int(part) for part in self.path.split("/")[:-2] if part]

    def descendants(self):
        """Every department below this one, at any depth, in tree order (one query)."""
        return Department.objects.filter(path__startswith=self.path).exclude(pk=self.pk)

    @property
    def full_path(self) -> str:
        """ "Acme › Sales › North"; one query unless ``attach_full_paths`` set it."""
        if not hasattr(self, "_full_path"):
            Department.objects.attach_full_paths([self])
        return self._full_path
