from django import forms

from .lookup import use_lookups
from .scoping import restrict

# phone-friendly pickers (the browser's own date and time inputs)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose choices of related records are limited to the user's scope.

    Dropdowns must not leak what the user may not see; the service re-checks scope
    after saving, inside the transaction.
    """

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                qs = field.queryset
                if hasattr(qs.model, "scope_policy"):
                    field.queryset = restrict(qs, user, "view")
        use_lookups(self, user)
        style_widgets(self)


def style_widgets(form: forms.BaseForm) -> None:
    """Bootstrap classes on every visible widget of ``form``."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.RadioSelect):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        else:
            widget.attrs.setdefault("class", "form-control")


def add_service_error(form: forms.BaseForm, exc, default: str | None = None) -> None:
    """A service's refusal shown on the form: under the field it names, else under
    ``default`` (None: above the form)."""
    form.add_error(exc.field if exc.field in form.fields else default, str(exc.message))
