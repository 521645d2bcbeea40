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
- book/_static/print.css and print-math.js for paper (wide formulas shrink to the page), and
  book/_static/site.css for narrow screens; search-math.js typesets the formulas in the search
  results (Sphinx shows their TeX as written).
- Each script once per page (a duplicate sphinx-thebe script threw an error on every page), and
  a default light/dark mode (none made the theme log an error on a reader's first visit).
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
    # the theme's light/dark mode on a first visit: without it, pydata-sphinx-theme logs
    # "Got invalid theme mode" as an error in the console of every new reader
    config.html_context = {"default_mode": "auto", **config.html_context}


def _unique_scripts(app, pagename, templatename, context, doctree):
    """Each script once: inline scripts added after the builder started (sphinx-thebe's
    ``const THEBE_JS_URL = ...``, sphinx-togglebutton's) reach the page twice under Sphinx 7.4,
    once named None and once "", and the second ``const`` throws a SyntaxError ("Identifier
    'THEBE_JS_URL' has already been declared") in every reader's console."""
    scripts, seen = [], set()
    for js in context.get("script_files", []):
        key = (getattr(js, "filename", str(js)) or "",  # an inline script: None or ""
               tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(js)
    context["script_files"] = scripts


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("html-page-context", _unique_scripts)
    app.add_css_file("site.css")
    app.add_css_file("print.css", media="print")
    app.add_js_file("print-math.js", defer="defer")
    app.add_js_file("search-math.js", defer="defer")
    app.set_html_assets_policy("always")  # MathJax on every page: the search page needs it too
    return {"parallel_read_safe": True, "parallel_write_safe": True}
