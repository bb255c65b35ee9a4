"""StreamField blocks shared by the site's content pages."""

from wagtail import blocks


class CalloutBlock(blocks.StructBlock):
    """A highlighted box for one important point (GOV.UK inset text)."""

    text = blocks.RichTextBlock(features=["bold", "link"])

    class Meta:
        icon = "warning"
        template = "cms/blocks/callout.html"


class ContentBlocks(blocks.StreamBlock):
    """Headings, paragraphs and callouts: enough for guides, nothing that breaks the layout."""

    heading = blocks.CharBlock(form_classname="title", template="cms/blocks/heading.html")
    paragraph = blocks.RichTextBlock(features=["bold", "italic", "link", "ol", "ul"])
    callout = CalloutBlock()
