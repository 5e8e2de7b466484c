"""Forms of the account pages."""

import zoneinfo

from django import forms

from lms.models import User

# The IANA zones this system knows, sorted; UTC first, as the default.
TIME_ZONES = ["UTC", *sorted(zoneinfo.available_timezones() - {"UTC", "localtime"})]


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=[(name, name.replace("_", " ")) for name in TIME_ZONES],
        help_text="Dates and times on the pages show in this zone.",
    )

    class Meta:
        model = User
        fields = ["time_zone"]
