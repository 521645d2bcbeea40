"""The built book as a reader sees it: every page opened in headless Chromium.

    python tools/check_site.py [_build/html] [--screens _build/screens] [--browser PATH]

Serves the built site on localhost (as GitHub Pages would) and, on every page: waits for MathJax
and checks that the math is typeset (no raw TeX left), that every image loaded, that the console
shows no JavaScript error and nothing was fetched from another host (the site works offline),
that every internal link and #anchor resolves; on every chapter, that its Colab button opens
colab.research.google.com/github/<repo>/blob/<ref>/book/<chapter>.ipynb (repo: _config.yml;
ref: tools/sync_site.py's site ref); that the search page finds a word of a chapter; that at a
phone's width (390 px) no table, code block or formula is wider than the screen without its own
scroll; and that in print (emulated print media, A4) nothing is cut. A screenshot of every page
goes to _build/screens/ (plus a phone-width screenshot and a PDF of one page of each kind).

Exit codes: 0 all passed; 1 problems (one line each); 77 it cannot run here (no Chromium, or no
Playwright), said in one line, so that CI can carry on without it.
"""
import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_site  # noqa: E402  (the repository and the ref, from their one source)

REPO = sync_site.REPO
SKIP = 77
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Chromium on a closed network: no background connections, no first-run work (see PLATFORM)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
A4_WIDTH = 718  # 190 mm of an A4 page between 10 mm margins, at 96 px per inch
SEARCH_WORD = "bottleneck"
REDIRECT = re.compile(r'<meta http-equiv="refresh"', re.I)


def is_redirect(folder, rel):
    """A page that only sends the reader on (Jupyter Book's index.html)."""
    return bool(REDIRECT.search((Path(folder) / rel).read_text(encoding="utf-8")))
TIMEOUT_MS = 30_000

# --- the checks that run in the page (JavaScript) --------------------------------------------

WAIT_FOR_MATHJAX = """async () => {
  const t0 = Date.now();
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (!document.querySelector('.math, .MathJax, mjx-container')) return 'no math';
    if (Date.now() - t0 > 20000) return 'MathJax did not load';
    await new Promise(r => setTimeout(r, 100));
  }
  await MathJax.startup.promise;
  if (MathJax.typesetPromise) await MathJax.typesetPromise();
  return 'typeset';
}"""

NEXT_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

MATH_PROBLEMS = r"""() => {
  const out = [];
  for (const el of document.querySelectorAll('.math')) {
    if (!el.querySelector('mjx-container')) out.push('untypeset math: ' + el.textContent.trim().slice(0, 60));
  }
  for (const el of document.querySelectorAll('mjx-merror')) out.push('MathJax error: ' + el.textContent.slice(0, 60));
  const skip = 'pre, code, script, style, textarea, mjx-container, .math, .highlight, .cell_output';
  const tex = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$/;
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest(skip)) continue;
    const m = n.textContent.match(tex);
    if (m) out.push('raw TeX in the text: ...' + n.textContent.slice(Math.max(0, m.index - 20), m.index + 40).trim() + '...');
  }
  return out;
}"""

IMAGE_PROBLEMS = """async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) img.loading = 'eager';
  await Promise.all(imgs.map(img => img.decode().catch(() => null)));
  return imgs.filter(img => !(img.complete && img.naturalWidth > 0))
             .map(img => 'image did not load: ' + (img.getAttribute('src') || '').slice(0, 100));
}"""

FOOTER = """() => {
  const f = document.querySelector('.book-version');
  return {text: f ? f.textContent.replace(/\\s+/g, ' ').trim() : '',
          links: f ? Array.from(f.querySelectorAll('a')).map(a => a.href) : []};
}"""

LINKS_AND_IDS = """() => ({
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  ids: Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name')),
  wide: document.querySelectorAll('main pre, main table, main div.math').length,
})"""

#: blocks that must fit the page width, or sit in a box that scrolls (on screen) / wraps (paper)
OVERFLOW = """([width, paper]) => {
  const out = [];
  const root = document.querySelector('.bd-article') || document.querySelector('main') || document.body;
  const name = el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/)[0] : '') + ' "' + el.textContent.trim().slice(0, 40) + '"';
  if (!paper && document.documentElement.clientWidth > width + 1)
    out.push('laid out ' + document.documentElement.clientWidth + ' px wide on a ' + width +
             ' px screen (no <meta name="viewport" content="width=device-width">)');
  const scrolls = c => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(c).overflowX);
  if (document.documentElement.scrollWidth > width + 1) {
    const culprits = [];  // the outermost elements past the edge that no box scrolls
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 1 || el.parentElement.getBoundingClientRect().right > width + 1) continue;
      let held = false;
      for (let c = el.parentElement; c && c !== document.body; c = c.parentElement) if (scrolls(c)) { held = true; break; }
      if (!held) culprits.push(name(el) + ' (' + Math.round(r.right) + ' px)');
    }
    out.push((paper ? 'wider than the paper (' : 'the page scrolls sideways (') + document.documentElement.scrollWidth + ' px): ' + culprits.slice(0, 3).join('; '));
  }
  const blocks = 'pre, table, div.math, mjx-container[display="true"], img, svg, div.cell_output, iframe, video';
  for (const el of root.querySelectorAll(blocks)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('mjx-container') && el.tagName !== 'MJX-CONTAINER') continue;
    let box = null;
    for (let c = el; c && c !== root.parentElement; c = c.parentElement) {
      const s = getComputedStyle(c);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) ||
          (paper && ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowY))) { box = c; break; }
    }
    const outer = (box || el).getBoundingClientRect();
    if (outer.right > width + 1 || outer.left < -1)
      out.push(name(el) + ' is ' + Math.round(outer.width) + ' px wide, past the ' + width + ' px ' + (paper ? 'page' : 'screen'));
    if (box) {
      const s = getComputedStyle(box);
      const cutX = box.scrollWidth > box.clientWidth + 1;
      const cutY = box.scrollHeight > box.clientHeight + 1 && ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowY);
      if (paper && (cutX || cutY)) out.push(name(el) + ' is cut on paper (' + (cutX ? 'width' : 'height') + ')');
      if (!paper && cutX && ['hidden', 'clip'].includes(s.overflowX)) out.push(name(el) + ' is cut (no scroll)');
    }
  }
  return Array.from(new Set(out));
}"""


class Report:
    """Checks passed and failed, by page; the problems are printed one per line."""

    def __init__(self):
        self.passed = self.failed = 0
        self.problems = []

    def check(self, page, what, problems):
        problems = list(problems)
        if problems:
            self.failed += 1
            self.problems += [f"{page}: {what}: {p}" for p in problems]
        else:
            self.passed += 1


def find_browser(explicit=None):
    for candidate in filter(None, (explicit, os.environ.get("D2LCNN_CHROMIUM"))):
        return candidate if Path(candidate).is_file() else None
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def serve(folder):
    """A local HTTP server of `folder` on a free port, in a thread; returns (server, base URL)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def site_pages(folder):
    """Every HTML page of the site, as paths relative to it ('book/lenet.html')."""
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*.html")
                  if not p.relative_to(folder).parts[0].startswith("_"))


def page_kind(rel):
    stem = Path(rel).stem
    if rel in ("search.html", "genindex.html", "index.html"):
        return Path(rel).stem
    if (REPO / "book" / f"{stem}.ipynb").exists():
        return "chapter"
    return "bibliography" if stem == "references" else "text"


def screen_name(rel, suffix=""):
    return rel.replace("/", "__").removesuffix(".html") + suffix


def expected_colab(rel, ref):
    _, owner, name = sync_site.read_repository()
    return (f"https://colab.research.google.com/github/{owner}/{name}/blob/{ref}/"
            f"book/{Path(rel).stem}.ipynb")


def visit(context, base, folder, rel, screens, report, ref, seen):
    """Open one page at desktop width and run the per-page checks."""
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(base + rel, wait_until="load")
    if is_redirect(folder, rel):
        page.wait_for_url(lambda url: url != base + rel)  # e.g. index.html -> book/intro.html
        page.wait_for_load_state("load")
        report.check(rel, "redirect", [] if page.url.startswith(base) and "404" not in
                     page.title() else [f"goes to {page.url}"])
        page.close()
        return 0
    state = page.evaluate(WAIT_FOR_MATHJAX)
    report.check(rel, "MathJax", [state] if state == "MathJax did not load" else [])
    report.check(rel, "math", page.evaluate(MATH_PROBLEMS))
    report.check(rel, "images", page.evaluate(IMAGE_PROBLEMS))
    found = page.evaluate(LINKS_AND_IDS)
    seen[urldefrag(page.url)[0]] = found
    report.check(rel, "footer", footer_problems(page.evaluate(FOOTER)))
    if page_kind(rel) == "chapter":
        report.check(rel, "Colab button", colab_button(context, page, rel, ref))
    page.wait_for_timeout(200)  # late console messages
    report.check(rel, "console", [e[:200] for e in errors])
    page.screenshot(path=str(screens / f"{screen_name(rel)}.png"), full_page=True)
    page.close()
    return found["wide"]


def footer_problems(footer, root=REPO):
    """The footer names this version and links the commit the book was built from."""
    version = sync_site.read_version(root)
    repository, _, _ = sync_site.read_repository(root / "_config.yml")
    commit = sync_site._git("rev-parse", "HEAD", root=root)
    problems = []
    if f"d2lcnn {version}" not in footer["text"]:
        problems.append(f"does not name d2lcnn {version}: {footer['text']!r}")
    if commit and f"{repository}/commit/{commit}" not in footer["links"]:
        problems.append(f"does not link commit {commit[:7]} (HEAD); links {footer['links']}")
    return problems


def colab_button(context, page, rel, ref):
    """Click the chapter's Colab button (in the launch menu) and see where the new tab goes."""
    link = page.locator('a[href*="colab.research.google.com"]')
    if link.count() != 1:
        return [f"{link.count()} Colab buttons, expected 1"]
    page.locator(".dropdown-launch-buttons button.dropdown-toggle").click()
    with context.expect_page(timeout=TIMEOUT_MS) as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    url, want = tab.url, expected_colab(rel, ref)
    tab.close()
    return [] if url == want else [f"opens {url}, expected {want}"]


def check_links(seen, base, folder, report):
    """Every link to this site names a file that exists and, with a #fragment, an id on it."""
    for page_url, found in seen.items():
        rel = page_url[len(base):]
        bad = []
        for href in found["links"]:
            target, fragment = urldefrag(href)
            if not target.startswith(base):
                continue  # another host: not fetched (the machine may be offline)
            path = unquote(urlsplit(target).path)[1:] or "index.html"
            if path.endswith("/"):
                path += "index.html"
            if not (Path(folder) / path).is_file():
                bad.append(f"{href[len(base):]} (no such file)")
            elif fragment and path.endswith(".html"):
                ids = seen.get(base + path, {}).get("ids")
                if ids is not None and fragment not in ids:
                    bad.append(f"{href[len(base):]} (no #{fragment} on that page)")
        report.check(rel, "links", sorted(set(bad)))


def check_search(context, base, folder, report, screens):
    """The search page finds SEARCH_WORD, and lists a chapter whose text has it."""
    holders = {rel for rel in site_pages(folder) if page_kind(rel) == "chapter" and
               SEARCH_WORD in re.sub(r"<[^>]+>", " ", (Path(folder) / rel).read_text()).lower()}
    if not holders:
        report.check("search.html", "search", [f"no chapter contains {SEARCH_WORD!r} to look for"])
        return
    page = context.new_page()
    page.goto(f"{base}search.html?q={SEARCH_WORD}", wait_until="load")
    try:
        page.wait_for_function("() => /finished|did not match/i.test((document.querySelector("
                               "'#search-results .search-summary') || {}).textContent || '')",
                               timeout=TIMEOUT_MS)
        hits = page.evaluate("() => Array.from(document.querySelectorAll("
                             "'#search-results ul.search li > a')).map(a => a.href)")
    except Exception:  # noqa: BLE001  (a time-out: the search never finished)
        hits = []
    try:  # the hits' text is typeset too (book/_static/search-math.js)
        page.wait_for_function(f"() => ({MATH_PROBLEMS})().length === 0", timeout=5000)
    except Exception:  # noqa: BLE001  (reported below)
        pass
    report.check("search.html", "math in the results", page.evaluate(MATH_PROBLEMS))
    page.screenshot(path=str(screens / "search-results.png"), full_page=True)
    page.close()
    found = {urldefrag(h)[0][len(base):] for h in hits}
    report.check("search.html", f"search for {SEARCH_WORD!r}", [] if found & holders else
                 [f"results {sorted(found) or 'none'}; expected one of {sorted(holders)}"])


def check_layouts(browser, base, pages, representatives, screens, report):
    """Every page at a phone's width and on A4 paper; screenshots and a PDF of one per kind."""
    phone = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                has_touch=True)
    paper = browser.new_context(viewport={"width": A4_WIDTH, "height": 1000})
    for rel in pages:
        page = phone.new_page()
        page.goto(base + rel, wait_until="load")
        page.evaluate(WAIT_FOR_MATHJAX)
        report.check(rel, "390 px", page.evaluate(OVERFLOW, [PHONE["width"], False]))
        if rel in representatives:
            page.screenshot(path=str(screens / f"{screen_name(rel, '-390px')}.png"),
                            full_page=True)
        page.close()
        page = paper.new_page()
        page.goto(base + rel, wait_until="load")
        page.evaluate(WAIT_FOR_MATHJAX)
        page.emulate_media(media="print")
        page.evaluate(NEXT_FRAMES)  # the page's own print handlers (print-math.js) run
        report.check(rel, "print", page.evaluate(OVERFLOW, [A4_WIDTH, True]))
        if rel in representatives:
            page.screenshot(path=str(screens / f"{screen_name(rel, '-print')}.png"),
                            full_page=True)
            page.pdf(path=str(screens / f"{screen_name(rel, '-print')}.pdf"), format="A4",
                     margin={"top": "10mm", "bottom": "10mm", "left": "10mm", "right": "10mm"},
                     print_background=True)
        page.close()
    phone.close()
    paper.close()


def run(folder, screens, browser_path, ref):
    from playwright.sync_api import sync_playwright
    report = Report()
    pages = site_pages(folder)
    screens.mkdir(parents=True, exist_ok=True)
    server, base = serve(folder)
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=browser_path, headless=True, args=FLAGS,
                                    downloads_path=tmp)
        context = browser.new_context(viewport=DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        outside = []

        def route(r):
            url = r.request.url
            if url.startswith(base):
                return r.continue_()
            if url.startswith("https://colab.research.google.com/"):  # where the button goes
                return r.fulfill(status=200, content_type="text/html", body="<p>Colab</p>")
            outside.append(url)
            return r.abort()
        context.route("**/*", route)
        seen, wide = {}, {}
        for rel in pages:
            wide[rel] = visit(context, base, folder, rel, screens, report, ref, seen)
        report.check("site", "requests to other hosts", sorted(set(outside))[:20])
        check_links(seen, base, folder, report)
        check_search(context, base, folder, report, screens)
        kinds = defaultdict(list)
        for rel in pages:
            kinds[page_kind(rel)].append(rel)
        # one page of each kind for the screenshots: the one with the most wide blocks
        representatives = {max(rels, key=lambda r: wide[r]) for rels in kinds.values()}
        context.close()
        check_layouts(browser, base, [r for r in pages if not is_redirect(folder, r)],
                      representatives, screens, report)
        browser.close()
    server.shutdown()
    return report, pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default=str(REPO / "_build" / "html"))
    parser.add_argument("--screens", default=str(REPO / "_build" / "screens"))
    parser.add_argument("--browser", help="Chromium's executable (default: $D2LCNN_CHROMIUM, "
                        "then chromium, google-chrome on PATH)")
    args = parser.parse_args(argv)
    folder = Path(args.site)
    if not (folder / "index.html").is_file():
        print(f"check-site: no built book at {folder} (make book)")
        return 1
    browser = find_browser(args.browser)
    if browser is None:
        print("check-site: skipped: no Chromium here (apt-get install chromium, or set "
              "D2LCNN_CHROMIUM to a Chromium or Chrome executable)")
        return SKIP
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        print("check-site: skipped: Playwright for Python is missing (make check-site installs "
              "requirements-site.txt)")
        return SKIP
    ref = os.environ.get("D2LCNN_SITE_REF", "").strip() or sync_site.site_ref()
    report, pages = run(folder, Path(args.screens), browser, ref)
    for line in report.problems:
        print(line)
    print(f"check-site: {len(pages)} pages in {Path(browser).name}, Colab ref {ref}, "
          f"screenshots in {args.screens}")
    print(f"check-site: {report.passed} passed, {report.failed} failed")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
