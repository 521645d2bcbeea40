"""The GitHub workflows cannot run here: check them against GitHub's workflow schema (the copy
check-jsonschema ships), with actionlint where it is installed, and for what they must do."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def load(name):
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on"
    data = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(job):
    return [s.get("uses", "") + " " + s.get("run", "") for s in job["steps"]]


def check_schema(*paths):
    tool = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
    if tool is None:
        pytest.fail("check-jsonschema is missing: make setup installs it (requirements.txt)")
    return subprocess.run([tool, "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def test_there_are_the_two_workflows():
    assert [p.name for p in WORKFLOWS] == ["pages.yml", "tests.yml"]


def test_workflows_match_githubs_schema():
    out = check_schema(*WORKFLOWS)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_schema_check_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: bad\non: pushh\njobs:\n  x:\n    steps:\n      - run: true\n")
    out = check_schema(bad)
    assert out.returncode != 0 and "bad.yml" in out.stdout + out.stderr


def test_actionlint():
    exe = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    if exe is None:
        pytest.skip("actionlint is not installed: its package (requirements-lint.txt) builds by "
                    "downloading from GitHub; the workflows were checked against the schema")
    out = subprocess.run([exe, "-no-color", *map(str, WORKFLOWS)], capture_output=True,
                         text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_action_is_pinned_to_a_release():
    for path in WORKFLOWS:
        for job in load(path.name)["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    action, _, ref = step["uses"].partition("@")
                    assert ref and ref not in ("main", "master", "latest"), (path.name, step)


def test_tests_run_on_pushes_and_pull_requests_on_every_python():
    flow = load("tests.yml")
    assert {"push", "pull_request"} <= set(flow["on"])
    test = flow["jobs"]["test"]
    assert test["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert any("make test PYTHON=python${{ matrix.python }}" in s for s in steps(test))
    assert any("requirements-lint.txt" in s for s in steps(test))
    assert any("make check-site" in s for s in steps(flow["jobs"]["site"]))
    assert flow["permissions"] == {"contents": "read"}


def test_pages_builds_checks_and_publishes_from_main():
    flow = load("pages.yml")
    assert flow["on"]["push"]["branches"] == ["main"]
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build = steps(flow["jobs"]["build"])
    order = [next(i for i, s in enumerate(build) if key in s) for key in
             ("release-check", "site-ref", "make book", "make check-site",
              "actions/upload-pages-artifact")]
    assert order == sorted(order), "release-check, ref, book, check-site, upload: in this order"
    upload = next(s for s in flow["jobs"]["build"]["steps"]
                  if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    checkout = flow["jobs"]["build"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and \
        checkout["with"]["fetch-depth"] == 0, "the tags are needed for the Colab ref"
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@")
