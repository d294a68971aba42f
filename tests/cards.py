"""Read the stacks of cards that list pages show below Bootstrap's md breakpoint (issue 14)."""

import re
from html import unescape
from html.parser import HTMLParser


class _Cards(HTMLParser):
    """Collect, inside the element with id `root`, each `.list-card`: its text, the text of each
    `[data-field]` inside it, and its links."""

    VOID = {"br", "img", "input", "hr", "meta", "link", "source", "wbr"}

    def __init__(self, root: str):
        super().__init__()
        self.root = root
        self.depth = 0  # depth inside the root; 0: outside
        self.cards: list[dict] = []
        self.card_depth = None
        self.fields: list[tuple[str, int]] = []  # open [data-field] elements: (name, depth)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth == 0:
            if attrs.get("id") == self.root:
                self.depth = 1
            return
        if tag in self.VOID:
            return
        self.depth += 1
        if self.card_depth is None and "list-card" in (attrs.get("class") or "").split():
            self.card_depth = self.depth
            self.cards.append({"text": "", "fields": {}, "links": [], "tag": tag, "attrs": attrs})
        elif self.card_depth is not None:
            if tag == "a":
                self.cards[-1]["links"].append(attrs.get("href"))
            if "data-field" in attrs:
                self.fields.append((attrs["data-field"], self.depth))
                self.cards[-1]["fields"][attrs["data-field"]] = ""

    def handle_endtag(self, tag):
        if self.depth == 0 or tag in self.VOID:
            return
        if self.fields and self.fields[-1][1] == self.depth:
            self.fields.pop()
        if self.card_depth == self.depth:
            self.card_depth = None
        self.depth -= 1

    def handle_data(self, data):
        if self.card_depth is None:
            return
        self.cards[-1]["text"] += data
        for name, _depth in self.fields:
            self.cards[-1]["fields"][name] += data


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", unescape(text)).strip()


def cards(html: str, root: str) -> list[dict]:
    """The cards inside `#root`, each {"text", "fields": {name: text}, "links": [href]}."""
    parser = _Cards(root)
    parser.feed(html)
    for card in parser.cards:
        card["text"] = squash(card["text"])
        card["fields"] = {name: squash(text) for name, text in card["fields"].items()}
    return parser.cards
