"""The documented shapes (drf-spectacular). The views build the rows with
``rows.result`` (exact keys and types already); these serializers describe them, and a test
checks the two agree."""

from rest_framework import serializers

from attempts.api.ispring import labels


class IspringTokenRequestSerializer(serializers.Serializer):
    client_id = serializers.CharField(max_length=64)
    client_secret = serializers.CharField(max_length=200, trim_whitespace=False)
    grant_type = serializers.ChoiceField(choices=["client_credentials"])


class IspringTokenSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the token stays valid.")
    token_type = serializers.CharField(help_text="`Bearer`.")


class IspringModuleResultSerializer(serializers.Serializer):
    userId = serializers.UUIDField()  # noqa: N815 (the contract's names)
    courseId = serializers.UUIDField()  # noqa: N815
    moduleTitle = serializers.CharField()  # noqa: N815
    moduleId = serializers.UUIDField(help_text="The exam's id.")  # noqa: N815
    courseItemId = serializers.UUIDField(  # noqa: N815
        help_text="The exam's place in its course: stable, and never equal to moduleId."
    )
    enrollmentId = serializers.CharField(help_text="The enrolment's id.")  # noqa: N815
    accessDate = serializers.DateTimeField(help_text="When the learner was enrolled.")  # noqa: N815
    dueDate = serializers.DateTimeField(required=False)  # noqa: N815
    expirationDate = serializers.DateTimeField(required=False)  # noqa: N815
    completionDate = serializers.DateTimeField(  # noqa: N815
        required=False, help_text="When the representative attempt completed."
    )
    timeSpent = serializers.IntegerField(help_text="Seconds.")  # noqa: N815
    completionStatus = serializers.ChoiceField(choices=labels.COMPLETION_STATUSES)  # noqa: N815
    progress = serializers.CharField(required=False, help_text="Percent, up to 2 decimals.")
    isOverdue = serializers.ChoiceField(choices=[0, 1])  # noqa: N815
    viewsCount = serializers.IntegerField()  # noqa: N815


class IspringModuleResultPageSerializer(serializers.Serializer):
    results = IspringModuleResultSerializer(many=True)
    nextPageToken = serializers.CharField(  # noqa: N815
        required=False, help_text="Present when more rows follow: send it as pageToken."
    )
