"""Job names that follow their final pod template.

A Job's pod template is immutable: an upgrade that changes it in any way (an
image, a resource request, a toleration the placement policy adds, an init
container of a hot-fix) fails with "field is immutable" unless the Job gets
a new name, which makes Helm delete the old Job and create the new one.
The charts cannot name it themselves, since this post-renderer changes the
template after them. So a chart marks each of its Jobs with the annotation
below, holding the Job's base name, and this last stage names the Job
`<base>-<hash of its final spec.template>`: a Job that did not change keeps
its name, and is not run again.

Jobs without the annotation (third-party charts) are left as they are.
"""
from __future__ import annotations

import hashlib
import json

from postrender.diagnostics import Diagnostics
from postrender.document import Document
from postrender.errors import PostRenderError

ANNOTATION = "openstack-helm.org/job-name"
# A Job's name becomes its pods' job-name label value: at most 63 characters.
MAX_NAME = 63
HASH_LENGTH = 8


class JobNameError(PostRenderError):
    pass


def template_hash(template: object) -> str:
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:HASH_LENGTH]


class JobNameStage:
    name = "job-names"

    def apply(self, documents: list[Document], diagnostics: Diagnostics) -> list[Document]:
        for doc in documents:
            if doc.kind != "Job" or ANNOTATION not in doc.annotations:
                continue
            base = doc.annotations[ANNOTATION]
            if not isinstance(base, str) or not base or len(base) > MAX_NAME - HASH_LENGTH - 1:
                raise JobNameError(
                    f"metadata.annotations[{ANNOTATION}]: {base!r} is not a base name of 1 to "
                    f"{MAX_NAME - HASH_LENGTH - 1} characters", **doc.error_location())
            template = (doc.obj.get("spec") or {}).get("template")
            name = f"{base}-{template_hash(template)}"
            if name != doc.name:
                doc.touch()["metadata"]["name"] = name
        return documents


def load() -> JobNameStage:
    return JobNameStage()
