"""The `images` field: new names, tags and digests for matching container images.

Like kustomize, every `containers` and `initContainers` list anywhere in an
object is visited (so CronJobs and custom resources that embed pods are
covered too); an image matches when its name, without tag or digest, is the
entry's name. Nothing else in the object is looked at or changed.
"""
from __future__ import annotations

import re

from postrender.overlay.kustomization import Image

CONTAINER_LISTS = ("containers", "initContainers")
# What may follow a matching name: a tag, a digest, or both (kustomize's pattern).
SUFFIX = r"(@sha256)?(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?\Z"


def split(image: str) -> tuple[str, str, str]:
    """(name, tag, digest), with a registry port not mistaken for a tag."""
    slash = image.find("/")
    offset = slash if slash > 0 else 0
    search = image[offset:]
    at, colon = search.find("@"), search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (colon < 0 or at < colon):
        return image[:offset + at], "", image[offset + at + 1:]
    if at >= 0:
        return (image[:offset + colon], image[offset + colon + 1:offset + at],
                image[offset + at + 1:])
    return image[:offset + colon], image[offset + colon + 1:], ""


class ImageRule:
    def __init__(self, entry: Image):
        self.entry = entry
        # kustomize puts the name into the pattern unescaped; so do we, to match alike.
        try:
            self.pattern = re.compile(entry.name + SUFFIX)
        except re.error:
            self.pattern = re.compile(re.escape(entry.name) + SUFFIX)

    def rewrite(self, image: str) -> str | None:
        if not self.pattern.match(image):
            return None
        e = self.entry
        name, tag, digest = split(image)
        if e.new_name:
            name = e.new_name
        if e.new_tag and e.digest:
            tag, digest = e.new_tag, e.digest
        elif e.new_tag:
            tag, digest = e.new_tag, ""
        elif e.digest:
            tag, digest = "", e.digest
        return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _containers(node):
    """Every container mapping under any containers/initContainers list."""
    # Exact types, not isinstance: parsed YAML is plain dicts and lists, and this
    # walk visits every node of every object in the stream.
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        current = pop()
        if type(current) is dict:
            for key, value in current.items():
                kind = type(value)
                if kind is list:
                    if key in CONTAINER_LISTS:
                        for item in value:
                            if type(item) is dict:
                                yield item
                    push(value)
                elif kind is dict:
                    push(value)
        else:
            for value in current:
                kind = type(value)
                if kind is dict or kind is list:
                    push(value)


def rewrite(image: str, rules: list[ImageRule]) -> str:
    """The image after every rule, in order, each on the previous one's result."""
    for rule in rules:
        rewritten = rule.rewrite(image)
        if rewritten is not None:
            image = rewritten
    return image


def changes(obj: dict, rules: list[ImageRule],
            memo: dict[str, str] | None = None) -> list[tuple[dict, str]]:
    """(container, new image) pairs; the caller touches the document before applying.

    `memo` remembers each image's result across objects: a region's stream
    repeats a few dozen images thousands of times.
    """
    memo = {} if memo is None else memo
    found = []
    for container in _containers(obj):
        image = container.get("image")
        if not isinstance(image, str):
            continue
        new = memo.get(image)
        if new is None:
            new = memo[image] = rewrite(image, rules)
        if new != image:
            found.append((container, new))
    return found
