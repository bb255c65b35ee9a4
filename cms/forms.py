"""The GOV.UK Design System form kit, shared by every app's forms.

`GovukFormMixin` gives widgets the design system's classes and links hints and errors to
their fields (`aria-describedby`), so `includes/govuk/field.html` can draw any field and
the `govuk_error_summary` tag (`cms/templatetags/govuk.py`) can list the problems at the
top with links to each field. `GovukDateField` and `PoundsField` are the date and money
inputs. Messages follow the design system's pattern: say what to do ("Enter the name of
your service"), not what went wrong.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

# --- Widgets and fields ----------------------------------------------------------------


DATE_PARTS = ("day", "month", "year")
DATE_EXAMPLE = "For example, 27 3 2027"


class GovukDateWidget(forms.MultiWidget):
    """Day, month and year boxes (the design system's date input).

    `birthday=True` adds the browser's bday-day/-month/-year autofill hints. The boxes post
    `<name>_0`, `_1`, `_2`; a single ISO value posted as `<name>` ("2027-03-27", from an older
    link or a script) is split into the three boxes, so both keep working.
    """

    template_name = "includes/govuk/date_input.html"

    def __init__(self, attrs=None, *, birthday=False):
        def box(width, part):
            attrs = {
                "class": f"govuk-input govuk-date-input__input govuk-input--width-{width}",
                "inputmode": "numeric",
            }
            if birthday:
                attrs["autocomplete"] = f"bday-{part}"
            return forms.TextInput(attrs=attrs)

        super().__init__([box(2, "day"), box(2, "month"), box(4, "year")], attrs)

    def decompress(self, value):
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        if not any(f"{name}_{i}" in data for i in range(3)) and data.get(name):
            match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", str(data.get(name)))
            if match:
                year, month, day = match.groups()
                return [day, month, year]
            # Something else in the one value: keep it in the day box so the person sees it.
            return [data.get(name), "", ""]
        return super().value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)


class GovukDateField(forms.MultiValueField):
    """A date typed as day, month and year, with the design system's error messages.

    Each error says which boxes it is about (`params["boxes"]`, 0 = day, 1 = month,
    2 = year): only those boxes are drawn in red, and the error summary links to the first.
    """

    widget = GovukDateWidget

    def __init__(self, *, what="the date", birthday=False, **kwargs):
        self.what = what
        kwargs.setdefault("error_messages", {"required": f"Enter {what}"})
        kwargs.setdefault("help_text", DATE_EXAMPLE)
        if birthday:
            kwargs.setdefault("widget", GovukDateWidget(birthday=True))
        fields = (forms.CharField(), forms.CharField(), forms.CharField())
        super().__init__(fields=fields, require_all_fields=False, **kwargs)
        for part in self.fields:
            part.required = False

    def _problem(self, words, boxes, code):
        what = f"{self.what[0].upper()}{self.what[1:]}"
        return ValidationError(f"{what} {words}", code=code, params={"boxes": tuple(boxes)})

    def compress(self, data_list):
        if not data_list or not any(str(part or "").strip() for part in data_list):
            return None
        day, month, year = (str(part or "").strip() for part in data_list)
        typed = (day, month, year)
        missing = [i for i, value in enumerate(typed) if not value]
        if missing:
            names = " and ".join(DATE_PARTS[i] for i in missing)
            raise self._problem(f"must include a {names}", missing, "incomplete")
        not_numbers = [i for i, value in enumerate(typed) if not value.isdigit() or not value.isascii()]
        if not_numbers:
            raise self._problem("must be a real date", not_numbers, "invalid")
        if len(year) != 4:
            raise self._problem("must include a year with 4 numbers, like 2027", [2], "year")
        if not 1 <= int(month) <= 12:
            raise self._problem("must be a real date", [1], "invalid")
        if not 1 <= int(day) <= 31:
            raise self._problem("must be a real date", [0], "invalid")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:  # 31 2 2027: each box is possible, the date is not
            raise self._problem("must be a real date", [0, 1, 2], "invalid") from None


def date_error_boxes(form, name) -> list[int]:
    """Which of a date field's boxes (0 day, 1 month, 2 year) its errors are about; all three
    for an error that names none (one added by the form, like "must be after the start")."""
    errors = (form._errors or {}).get(name)
    if not errors:
        return []
    boxes = set()
    for error in errors.as_data():
        boxes.update((error.params or {}).get("boxes", (0, 1, 2)))
    return sorted(boxes)


class PoundsField(forms.Field):
    """Money typed in pounds ("18", "18.50", "£18.50"), cleaned to whole pence."""

    widget = forms.TextInput

    def __init__(self, *, what="the price", **kwargs):
        self.what = what
        kwargs.setdefault("error_messages", {"required": f"Enter {what}"})
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "spellcheck": "false"}

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value / 100:.2f}"
        return value

    def to_python(self, value):
        text = str(value or "").replace("£", "").replace(",", "").strip()
        if not text:
            return None
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
            raise ValidationError(f"Enter {self.what} in pounds and pence, like 18.50")
        try:
            pence = int(Decimal(text) * 100)
        except InvalidOperation:
            raise ValidationError(f"Enter {self.what} in pounds and pence, like 18.50") from None
        if pence > 100_000_00:
            raise ValidationError(f"{self.what[0].upper()}{self.what[1:]} must be £100,000 or less")
        return pence


def _kind_of(widget) -> str:
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    if isinstance(widget, GovukDateWidget):
        return "date"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


WIDGET_CLASSES = {
    "input": ("govuk-input", "govuk-input--error"),
    "textarea": ("govuk-textarea", "govuk-textarea--error"),
    "select": ("govuk-select", "govuk-select--error"),
    "file": ("govuk-file-upload", "govuk-file-upload--error"),
    "checkboxes": ("govuk-checkboxes__input", ""),
    "checkbox": ("govuk-checkboxes__input", ""),
    "radios": ("govuk-radios__input", ""),
}
# Kinds drawn as a <fieldset>: the hint and error belong to the fieldset, not each input.
FIELDSET_KINDS = {"checkboxes", "radios", "date"}


DJANGO_REQUIRED = forms.Field.default_error_messages["required"]


def required_message(field) -> str:
    """What an empty required field's error says, naming the field ("Enter your name"), for
    fields that kept Django's "This field is required.", which the error summary lists without
    saying which field it means."""
    label = str(field.label or "").strip().rstrip(":")
    if not label:
        return "Answer this question"
    if label.endswith("?"):
        return f"Answer “{label}”"
    words = label[0].lower() + label[1:] if not label[:2].isupper() else label
    choosing = isinstance(
        field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.Select | forms.CheckboxInput
    )
    return f"{'Select' if choosing else 'Enter'} {words}"


class GovukFormMixin:
    """Design-system classes, hint/error links and an error summary for any Django form.

    `widths` maps a field name to an input width class ("govuk-input--width-10").
    """

    widths: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.RadioSelect) and hasattr(field, "choices"):
                # Model choice fields add a "---------" choice; as a radio button it is noise.
                field.choices = [(value, label) for value, label in field.choices if value != ""]
            if field.error_messages.get("required") == DJANGO_REQUIRED:
                field.error_messages = {**field.error_messages, "required": required_message(field)}
        self._decorate()

    def full_clean(self):
        super().full_clean()
        self._decorate()

    def _decorate(self):
        """Set classes and aria-describedby from the current errors (called again after cleaning)."""
        errors = self._errors or {}
        for name, field in self.fields.items():
            kind = _kind_of(field.widget)
            field.govuk_kind = kind
            if kind == "hidden":
                continue
            bound_id = self._auto_id(name)
            has_error = name in errors
            if kind == "date":
                wrong = date_error_boxes(self, name)
                for index, box in enumerate(field.widget.widgets):
                    classes = [c for c in box.attrs["class"].split() if c != "govuk-input--error"]
                    if index in wrong:
                        classes.append("govuk-input--error")
                    box.attrs["class"] = " ".join(classes)
                continue
            base, error_class = WIDGET_CLASSES[kind]
            width = self.widths.get(name, "")
            field.widget.attrs["class"] = " ".join(
                c for c in (base, width, error_class if has_error else "") if c
            )
            if kind in FIELDSET_KINDS:
                continue
            described = []
            if field.help_text:
                described.append(f"{bound_id}-hint")
            if has_error:
                described.append(f"{bound_id}-error")
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def _auto_id(self, name) -> str:
        """The id Django gives a field's input (BoundField.auto_id), without making the BoundField.

        Django caches a form's BoundFields with the label they had when first made, and forms
        built on this mixin set their labels after it runs.
        """
        html_name = self.add_prefix(name)
        if self.auto_id and "%s" in str(self.auto_id):
            return self.auto_id % html_name
        return html_name if self.auto_id else ""

    def anchor_for(self, name) -> str:
        """The id the error summary links to for a field: its first input."""
        if name not in self.fields:
            # A problem with the whole form links to its first visible field.
            name = next(
                (n for n, f in self.fields.items() if not isinstance(f.widget, forms.HiddenInput)),
                next(iter(self.fields)),
            )
        auto_id = self[name].auto_id
        if self.fields[name].govuk_kind == "date":
            # The first box with the problem ("must include a month" links to the month).
            return f"{auto_id}_{(date_error_boxes(self, name) or [0])[0]}"
        return f"{auto_id}_0" if self.fields[name].govuk_kind in FIELDSET_KINDS else auto_id

    def error_summary(self) -> list[tuple[str, str]]:
        """(link target, message) for every problem, in the order the fields appear."""
        items = [(self.anchor_for("__all__"), str(e)) for e in self.non_field_errors()]
        for name in self.fields:
            for message in self.errors.get(name, []):
                items.append((self.anchor_for(name), message))
        return items


def error_summary(*forms_and_formsets) -> list[tuple[str, str]]:
    """The error summary for a page with several forms or formsets."""
    items = []
    for thing in forms_and_formsets:
        # A template passes "" for a form that is not in its context (string_if_invalid).
        if thing is None or isinstance(thing, str):
            continue
        if isinstance(thing, forms.BaseFormSet):
            first = thing.forms[0] if thing.forms else None
            for message in thing.non_form_errors():
                items.append((first.anchor_for("__all__") if first else "", str(message)))
            for form in thing.forms:
                items.extend(form.error_summary())
        elif hasattr(thing, "error_summary"):
            items.extend(thing.error_summary())
        else:
            # A form from a library (allauth's) that does not use the kit: link each field's
            # problems to its input all the same.
            items.extend(("", str(message)) for message in thing.non_field_errors())
            for field in thing:
                items.extend((field.auto_id, str(message)) for message in field.errors)
    return items
