"""The repository URL and the version are written once; copy them where they are needed as text.

_config.yml's ``repository.url`` is the only place the repository is written, and
d2lcnn/_version.py the only place the version is. Jupyter Book's launch buttons read the former
themselves; these files cannot, so this tool keeps them in step (tests/test_site_config.py fails
when they drift):

- d2lcnn/colab.py's ``REPOSITORY`` line (a package installed from a wheel has no _config.yml);
- the first cell of every chapter, ``d2lcnn.colab.first_cell``: it installs the release tag of
  the version (``git+<repository>@v<version>``), so a version bump rewrites it too;
- the README's links to the repository and to the published site, and the changelog's links to
  its releases.

Usage (``make sync`` runs the second):
  python tools/sync_site.py check      what differs; exit code 1 if anything does
  python tools/sync_site.py write      rewrite the files above (the notebooks' first cells only)
  python tools/sync_site.py site-ref   the git ref the site's Colab buttons open: the release tag
                                       when HEAD is that tag, else HEAD's commit
  python tools/sync_site.py release-check   for the publishing workflow: the tag of this version
                                       exists and holds the same package as HEAD (else the Colab
                                       cells would install other code than the site shows)
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "_config.yml"
COLAB = REPO / "d2lcnn" / "colab.py"
README = REPO / "README.md"
#: text files whose links to the repository follow _config.yml (the changelog's link lines)
LINKED_TEXTS = ("README.md", "CHANGELOG.md")
#: the files whose content is the package a Colab cell installs (compared with the release tag)
PACKAGE_FILES = ("d2lcnn", "pyproject.toml")

GITHUB = re.compile(r"https://github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$")
REPOSITORY_LINE = re.compile(r'^REPOSITORY = "([^"]*)"$', re.M)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def read_version(root=REPO):
    """d2lcnn/_version.py's version, read without importing the package."""
    text = (Path(root) / "d2lcnn" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if not match:
        raise SettingsError("d2lcnn/_version.py has no line __version__ = \"X.Y.Z\"")
    return match.group(1)


def read_repository(config_path=CONFIG):
    """(url, owner, name) of _config.yml's repository.url, which must be a GitHub repository."""
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    url = str((config.get("repository") or {}).get("url") or "").strip()
    match = GITHUB.match(url)
    if not match:
        raise SettingsError(f"{Path(config_path).name}: repository.url must be a GitHub "
                            f"repository such as https://github.com/OWNER/NAME; got {url!r}")
    owner, name = match.groups()
    return f"https://github.com/{owner}/{name}", owner, name


def site_url(owner, name):
    """Where GitHub Pages publishes a project site."""
    return f"https://{owner.lower()}.github.io/{name}/"


def chapters(root=REPO):
    return sorted((Path(root) / "book").glob("*.ipynb"))


def first_code_cell(nb):
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            return cell
    return None


def expected_first_cell(repository, version):
    sys.path.insert(0, str(REPO))
    from d2lcnn import colab
    return colab.first_cell(colab.install_target(repository, version))


def drift(root=REPO):
    """A list of (file, what differs, how it is fixed) for everything out of step."""
    root = Path(root)
    repository, owner, name = read_repository(root / "_config.yml")
    version = read_version(root)
    found = []
    colab_text = (root / "d2lcnn" / "colab.py").read_text(encoding="utf-8")
    match = REPOSITORY_LINE.search(colab_text)
    if not match or match.group(1) != repository:
        found.append(("d2lcnn/colab.py", f"REPOSITORY is {match.group(1) if match else None!r}, "
                      f"_config.yml says {repository!r}", "write"))
    cell = expected_first_cell(repository, version)
    for path in chapters(root):
        first = first_code_cell(json.loads(path.read_text(encoding="utf-8")))
        if first is None or "".join(first["source"]) != cell:
            found.append((f"book/{path.name}", "the first cell is not d2lcnn.colab.first_cell "
                          f"for {repository} at v{version}", "write"))
    readme = (root / "README.md").read_text(encoding="utf-8")
    for url in (repository, site_url(owner, name)):
        if url not in readme:
            found.append(("README.md", f"does not name {url}", "write"))
    for name in LINKED_TEXTS:
        path = root / name
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        for url in sorted(set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", text))):
            if not (url + "/").startswith(repository + "/") and url != repository:
                found.append((name, f"links {url}, not the repository {repository}", "write"))
    return found


def write(root=REPO):
    """Rewrite what drift() finds; returns the files changed. A notebook changes in its first
    cell's source only, in the notebooks' own JSON layout."""
    root = Path(root)
    repository, owner, name = read_repository(root / "_config.yml")
    version = read_version(root)
    changed = []
    colab_path = root / "d2lcnn" / "colab.py"
    colab_text = colab_path.read_text(encoding="utf-8")
    match = REPOSITORY_LINE.search(colab_text)
    if not match:
        raise SettingsError("d2lcnn/colab.py has no line REPOSITORY = \"...\" to rewrite")
    old = match.group(1)
    if old != repository:
        colab_path.write_text(REPOSITORY_LINE.sub(f'REPOSITORY = "{repository}"', colab_text,
                                                  count=1), encoding="utf-8")
        changed.append(colab_path)
    cell = expected_first_cell(repository, version)
    for path in chapters(root):
        raw = path.read_text(encoding="utf-8")
        nb = json.loads(raw)
        first = first_code_cell(nb)
        if first is None:
            raise SettingsError(f"{path.name} has no code cell: add the Colab cell by hand first")
        if "".join(first["source"]) == cell:
            continue
        first["source"] = cell.splitlines(keepends=True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        changed.append(path)
    for text_name in LINKED_TEXTS:
        path = root / text_name
        if old == repository or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        old_owner, old_name = GITHUB.match(old).groups()
        new = text.replace(old, repository).replace(site_url(old_owner, old_name),
                                                    site_url(owner, name))
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    readme = (root / "README.md").read_text(encoding="utf-8")
    missing = [url for url in (repository, site_url(owner, name)) if url not in readme]
    if missing:
        raise SettingsError(f"README.md names neither {' nor '.join(missing)}: add them to its "
                            f"'The two commands' section by hand once")
    return changed


def _git(*args, root=REPO):
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None  # no git here
    return proc.stdout.strip() if proc.returncode == 0 else None


def site_ref(version=None, root=REPO):
    """The release tag when HEAD is exactly that tag, else HEAD's full commit, else the tag
    (a copy without git history)."""
    tag = f"v{version or read_version(root)}"
    head = _git("rev-parse", "HEAD", root=root)
    if head is None:
        return tag
    tagged = _git("rev-parse", f"refs/tags/{tag}^{{commit}}", root=root)
    return tag if tagged == head else head


def release_check(version=None, root=REPO):
    """None if the tag of this version exists and its package equals HEAD's, else the reason."""
    tag = f"v{version or read_version(root)}"
    if _git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", root=root) is None:
        return (f"tag {tag} does not exist, and every chapter's Colab cell installs it: tag the "
                f"release (CONTRIBUTING.md, 'Releasing'), then publish")
    proc = subprocess.run(["git", "-C", str(root), "diff", "--quiet", tag, "HEAD", "--",
                           *PACKAGE_FILES])
    if proc.returncode != 0:
        return (f"the package changed since {tag} (git diff {tag} HEAD -- "
                f"{' '.join(PACKAGE_FILES)}), but the chapters' Colab cells install {tag}: bump "
                f"the version and release it (CONTRIBUTING.md, 'Releasing') before publishing")
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", default="check",
                        choices=("check", "write", "site-ref", "release-check"))
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            found = drift()
            for where, what, _ in found:
                print(f"{where}: {what} (make sync)")
            return 1 if found else 0
        if args.command == "write":
            for path in write():
                print(f"wrote {path.relative_to(REPO)}")
            return 0
        if args.command == "site-ref":
            print(site_ref())
            return 0
        reason = release_check()
        if reason:
            print(f"release-check: {reason}", file=sys.stderr)
            return 1
        print(f"release-check: v{read_version()} is tagged and holds this package")
        return 0
    except SettingsError as e:
        print(f"sync_site: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
