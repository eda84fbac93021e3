from django import forms
from django.utils import timezone

from layers.grids.limits import CLOCK_SKEW, field_limit
from layers.incidents.models import Incident, IncidentCategory
from layers.people.models import Visit

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


class VisitForm(forms.ModelForm):
    """A visit: 走访时间 starts at now (local time, Asia/Shanghai) and may not lie in the future."""

    class Meta:
        model = Visit
        fields = ["kind", "visited_at", "note"]
        widgets = {"visited_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE)}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        now = timezone.localtime()
        field = self.fields["visited_at"]
        field.input_formats = [LOCAL_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]
        field.error_messages["invalid"] = "请填写有效的日期和时间"
        field.widget.attrs["max"] = now.strftime(LOCAL_MINUTE)
        if not self.is_bound:
            self.initial.setdefault("visited_at", now.replace(second=0, microsecond=0))

    def clean_visited_at(self):
        value = self.cleaned_data["visited_at"]
        # The same allowance for a phone's clock running ahead as the model's rule (layers.grids.limits);
        # checked here too so that the message is Chinese only.
        if value is not None and value > timezone.now() + CLOCK_SKEW:
            raise forms.ValidationError("走访时间不能晚于现在", code="in_the_future")
        return value

    def errors_text(self) -> str:
        """The errors as a Chinese sentence naming each field by its label."""
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            parts.append(f"{label}：{'；'.join(errors)}" if label else "；".join(errors))
        return "；".join(parts)

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
