"""Sphinx extension of the book: its version in the footer, and the Colab buttons at its own ref.

Read from one place each: the version from d2lcnn/_version.py (loaded by path, so the build
imports neither numpy nor MXNet), the repository from _config.yml (Jupyter Book passes it as
the theme's ``repository_url``), the commit from git.

- Footer: "d2lcnn 0.2.0, built from commit abc1234" with a link to the commit on the host (and
  "with uncommitted changes" when the book's or the package's files differ from it).
- Launch buttons: the theme opens ``colab.research.google.com/github/<repo>/blob/<ref>/...``
  with ``<ref>`` = ``$D2LCNN_SITE_REF`` (the publishing workflow sets it), else the release tag
  when HEAD is that tag, else HEAD's commit: never the moving branch, so a chapter opened in
  Colab is the one the page shows, and its first cell installs this version.
- ``html_baseurl``: the GitHub Pages address of the repository (canonical links).
- book/_static/print.css for paper, and book/_static/site.css for narrow screens.
"""
import html
import importlib.util
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parents[1] / "_static"
REF_ENV = "D2LCNN_SITE_REF"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_info():
    """(version, ref, commit, modified) of this build; commit and modified are None without git."""
    sync = _load("_d2lcnn_sync_site", ROOT / "tools" / "sync_site.py")  # the ref's one rule
    version = sync.read_version(ROOT)
    commit, modified = _load("_d2lcnn_version", ROOT / "d2lcnn" / "_version.py").source_commit(
        ROOT)
    if commit is not None:  # the book's own files count too
        modified = modified or bool(sync._git("status", "--porcelain", "--untracked-files=no",
                                              "--", "book", "_config.yml", "_toc.yml"))
    ref = os.environ.get(REF_ENV, "").strip() or sync.site_ref(version)
    return version, ref, commit, modified


def footer(version, repository, commit, modified):
    """The footer's HTML: the version, and the commit linked on the repository's host."""
    text = f"d2lcnn {html.escape(version)}"
    if commit:
        link = f"{repository.rstrip('/')}/commit/{commit}"
        text += (f', built from commit <a href="{html.escape(link)}">'
                 f"<code>{html.escape(commit[:7])}</code></a>")
        if modified:
            text += " with uncommitted changes"
    return f'<p class="book-version">{text}</p>'


def _configure(app, config):
    version, ref, commit, modified = build_info()
    theme = config.html_theme_options
    repository = theme.get("repository_url", "")
    theme["repository_branch"] = ref
    theme["extra_footer"] = footer(version, repository, commit, modified)
    config.version = config.release = version
    parts = repository.rstrip("/").split("/")
    if repository.startswith("https://github.com/") and len(parts) == 5:
        config.html_baseurl = f"https://{parts[3].lower()}.github.io/{parts[4]}/"
    config.html_static_path = list(config.html_static_path) + [str(STATIC)]
    config.html_context = {**config.html_context, "book_commit": commit or "",
                           "book_ref": ref}


def setup(app):
    app.connect("config-inited", _configure)
    app.add_css_file("site.css")
    app.add_css_file("print.css", media="print")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
