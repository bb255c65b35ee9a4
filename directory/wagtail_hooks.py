"""Admin screens for the directory's vocabularies and providers (Wagtail snippets)."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Audience, Category, Language, Outcome, Provider


class OutcomeViewSet(SnippetViewSet):
    model = Outcome
    icon = "tick-inverse"
    list_display = ["label", "vocabulary", "statutory_wording"]
    list_filter = ["vocabulary"]
    search_fields = ["label", "statutory_wording", "synonyms"]


class CategoryViewSet(SnippetViewSet):
    model = Category
    icon = "folder-open-inverse"
    list_display = ["label", "slug"]
    search_fields = ["label", "synonyms"]


class AudienceViewSet(SnippetViewSet):
    model = Audience
    icon = "group"
    list_display = ["label", "slug"]


class LanguageViewSet(SnippetViewSet):
    model = Language
    icon = "globe"
    list_display = ["name", "code"]


class VocabularyGroup(SnippetViewSetGroup):
    """Everything people search and browse by, in one admin menu."""

    menu_label = "Vocabularies"
    menu_icon = "list-ul"
    menu_order = 300
    items = (OutcomeViewSet, CategoryViewSet, AudienceViewSet, LanguageViewSet)


class ProviderViewSet(SnippetViewSet):
    model = Provider
    icon = "user"
    menu_order = 290
    list_display = ["name", "legal_name", "business_type", "team_size"]
    list_filter = ["business_type"]
    search_fields = ["name", "legal_name"]


register_snippet(VocabularyGroup)
register_snippet(ProviderViewSet)
