from django import forms

from layers.grids.limits import field_limit
from layers.incidents.models import Incident, IncidentCategory
from layers.people.models import Visit


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["kind", "visited_at", "note"]
        widgets = {"visited_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    # Made by the phone (static/gridmap/offline.js): the same visit sent twice is stored once.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class ReportIncidentForm(forms.Form):
    """An incident at a point picked on the map (or typed), in WGS84 degrees."""

    category = forms.ModelChoiceField(IncidentCategory.objects.all(), label="事件类别")
    # Limits read from the model (layers.grids.limits): the same for the API and the importers.
    description = forms.CharField(label="事件描述", widget=forms.Textarea(attrs={"rows": 3}),
                                  max_length=field_limit(Incident, "description"))
    address = forms.CharField(label="地址", required=False, max_length=field_limit(Incident, "address"))
    lon = forms.FloatField(label="经度", min_value=73, max_value=136)
    lat = forms.FloatField(label="纬度", min_value=3, max_value=54)
    # Made by the phone (static/gridmap/offline.js): the same report sent twice is stored once.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # When a report queued offline was made (set by offline.js); see layers.pages.views.offline.
    queued_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    to_status = forms.CharField(widget=forms.HiddenInput)
    # The status the page showed: if someone else moved the incident meanwhile, the move is
    # refused with a message instead of being applied to a status the user never saw.
    from_status = forms.CharField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label="说明", required=False, max_length=300)
    satisfaction = forms.ChoiceField(label="回访结果", required=False,
                                     choices=[("", "—"), ("满意", "满意"), ("不满意", "不满意")])
