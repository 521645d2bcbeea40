"""The repository URL is written once (_config.yml): d2lcnn.colab, the chapters' first cells, the
README and the changelog follow it (tools/sync_site.py), and the site's ref and the publishing
guard follow the release tags."""
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from d2lcnn import colab

REPO = Path(__file__).resolve().parent.parent


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sync = load_tool("sync_site")


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def copy(tmp_path):
    """The files sync_site reads and writes, copied: two chapters, colab.py, the texts."""
    for rel in ("_config.yml", "README.md", "CHANGELOG.md", "d2lcnn/colab.py",
                "d2lcnn/_version.py", "book/lenet.ipynb", "book/vgg.ipynb"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, tmp_path / rel)
    return tmp_path


def set_repository(root, url):
    path = root / "_config.yml"
    path.write_text(path.read_text().replace(colab.REPOSITORY, url))


def test_everything_follows_the_config():
    """The real check: _config.yml, d2lcnn.colab, every chapter, the README and the
    changelog agree (`make sync` repairs them)."""
    assert sync.drift() == []
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    assert config["repository"]["url"] == colab.REPOSITORY
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_the_url_is_written_once_in_the_site_files():
    """Jupyter Book's buttons and the book's extension read _config.yml; no other copy."""
    for rel in ("_toc.yml", "book/_ext/book_version.py", ".github/workflows/pages.yml",
                ".github/workflows/tests.yml", "Makefile"):
        assert colab.REPOSITORY not in (REPO / rel).read_text(), rel
    assert (REPO / "_config.yml").read_text().count(colab.REPOSITORY) == 1


def test_a_new_url_is_found_everywhere_and_written_everywhere(copy):
    new = "https://github.com/someone/fork"
    set_repository(copy, new)
    found = {where for where, _, _ in sync.drift(copy)}
    assert found == {"d2lcnn/colab.py", "book/lenet.ipynb", "book/vgg.ipynb", "README.md",
                     "CHANGELOG.md"}
    before = {p.name: json.loads(p.read_text()) for p in (copy / "book").glob("*.ipynb")}
    changed = {p.relative_to(copy).as_posix() for p in sync.write(copy)}
    assert changed == found
    assert sync.drift(copy) == []
    assert f'REPOSITORY = "{new}"' in (copy / "d2lcnn" / "colab.py").read_text()
    readme = (copy / "README.md").read_text()
    assert new in readme and "https://someone.github.io/fork/" in readme
    assert colab.REPOSITORY not in readme
    for path in (copy / "book").glob("*.ipynb"):
        raw = path.read_text()
        nb = json.loads(raw)
        assert raw == json.dumps(nb, indent=1, ensure_ascii=False) + "\n"  # the files' layout
        old = before[path.name]
        first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
        assert f"git+{new}@v" in "".join(nb["cells"][first]["source"])
        old["cells"][first]["source"] = nb["cells"][first]["source"]
        assert nb == old, "only the first cell's source may change"


def test_a_first_cell_edited_by_hand_is_drift(copy):
    path = copy / "book" / "lenet.ipynb"
    nb = json.loads(path.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    first["source"] = [line.replace("@v", "@main#") for line in first["source"]]
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    assert [w for w, _, _ in sync.drift(copy)] == ["book/lenet.ipynb"]


def test_a_foreign_link_in_the_changelog_is_drift(copy):
    path = copy / "CHANGELOG.md"
    path.write_text(path.read_text() + "[0.0.1]: https://github.com/other/repo/releases\n")
    assert [(w, "other/repo" in what) for w, what, _ in sync.drift(copy)] == \
        [("CHANGELOG.md", True)]


def test_a_url_that_is_not_a_github_repository_is_refused(copy):
    set_repository(copy, "https://gitlab.com/someone/fork")
    with pytest.raises(sync.SettingsError, match="repository.url must be a GitHub repository"):
        sync.drift(copy)
    assert sync.main(["check"]) == 0  # the real repository stays fine


def test_site_url():
    assert sync.site_url("Classic-CNN-Book", "d2lcnn") == "https://classic-cnn-book.github.io/d2lcnn/"


def test_site_ref_and_release_check(copy):
    """The Colab buttons open the release tag when HEAD is it, else HEAD's commit; publishing is
    refused until the tag exists and while the package differs from it."""
    if shutil.which("git") is None:
        pytest.skip("no git on this machine")
    version = sync.read_version(copy)
    tag = f"v{version}"
    assert sync.site_ref(root=copy) == tag  # not a repository: the tag
    git(copy, "init", "-q")
    git(copy, "add", ".")
    git(copy, "commit", "-qm", "one")
    head = git(copy, "rev-parse", "HEAD")
    assert sync.site_ref(root=copy) == head
    assert "does not exist" in sync.release_check(root=copy)
    git(copy, "tag", tag)
    assert sync.site_ref(root=copy) == tag and sync.release_check(root=copy) is None
    (copy / "README.md").write_text("text changes publish without a release\n")
    git(copy, "commit", "-qam", "text")
    assert sync.site_ref(root=copy) == git(copy, "rev-parse", "HEAD")
    assert sync.release_check(root=copy) is None
    path = copy / "d2lcnn" / "colab.py"
    path.write_text(path.read_text() + "# changed\n")
    git(copy, "commit", "-qam", "code")
    assert "the package changed since " + tag in sync.release_check(root=copy)


def test_command_line_of_the_sync_tool(capsys):
    assert sync.main(["check"]) == 0
    assert sync.main(["site-ref"]) == 0
    ref = capsys.readouterr().out.strip()
    assert ref == f"v{sync.read_version()}" or len(ref) == 40
