"""Job names that follow the final pod template (postrender/jobnames.py), run
through the real command line."""
from __future__ import annotations

import yaml

from postrender.jobnames import ANNOTATION, template_hash
from tests.conftest import postrender


def job(base: str | None, cpu: str = "50m", name: str = "db-sync-0123abcd") -> dict:
    metadata = {"name": name}
    if base is not None:
        metadata["annotations"] = {ANNOTATION: base}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata,
            "spec": {"template": {"spec": {
                "restartPolicy": "OnFailure",
                "containers": [{"name": "db-sync", "image": "nova-api:1",
                                "resources": {"requests": {"cpu": cpu}}}]}}}}


def names(*jobs: dict, args: tuple[str, ...] = ()) -> list[str]:
    result = postrender(yaml.safe_dump_all(jobs), *args)
    assert result.returncode == 0, result.stderr
    return [d["metadata"]["name"] for d in yaml.safe_load_all(result.stdout)]


def test_an_annotated_job_is_named_after_its_final_template():
    [name] = names(job("nova-db-sync"))
    assert name == f"nova-db-sync-{template_hash(job('nova-db-sync')['spec']['template'])}"


def test_any_change_to_the_template_renames_the_job_and_none_keeps_the_name():
    # A resource request is no input of the chart's own name; it still
    # changes the immutable template.
    [first] = names(job("nova-db-sync", cpu="50m"))
    [same] = names(job("nova-db-sync", cpu="50m", name="db-sync-ffffffff"))
    [changed] = names(job("nova-db-sync", cpu="10m"))
    assert first == same
    assert changed != first and changed.startswith("nova-db-sync-")


def test_a_job_without_the_annotation_keeps_its_name():
    assert names(job(None)) == ["db-sync-0123abcd"]


def test_a_bad_base_name_fails_naming_the_document_and_writes_nothing():
    result = postrender(yaml.safe_dump_all([job("x" * 60)]))
    assert result.returncode != 0
    assert result.stdout == b""
    message = result.stderr.decode()
    assert "Job/db-sync-0123abcd" in message and ANNOTATION in message, message
