"""The book's pages in their order: the one list that the package, the tools and the tests read.

Why: the order of the chapters, their titles and the names of their results files were repeated
in ``recipes.CHAPTERS``, ``compare.CHAPTER_TITLES``, the notebooks' own dicts and ``_toc.yml``.
They now live here; ``_toc.yml`` (which Jupyter Book reads) must agree with `PAGES`, and
``tests/test_chapters.py`` fails where it does not. A new page, or a "Going further" sub-page,
is added here and in ``_toc.yml``.
"""
import dataclasses

ROOT = "intro"          # the book's first page (book/intro.md)


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of the book (a notebook or a markdown file in ``book/``)."""

    name: str               # the file's stem in book/; for a chapter that trains, its results name
    heading: str            # the page's own title
    part: str               # the caption of its part in _toc.yml
    title: str = ""         # how tables and sentences name the chapter's network ("" if none)
    trains: bool = False    # trains a network and saves its results for the closing chapter
    sections: tuple = ()    # names of its sub-pages ("Going further: ..."), in order

    @property
    def file(self):
        """The page as _toc.yml names it."""
        return f"book/{self.name}"


PAGES = (
    Page("diagram_to_code", "From a network diagram to code", "Foundations"),
    Page("lenet", "LeNet", "The networks", "LeNet", trains=True, sections=("lenet_variants",)),
    Page("alexnet", "AlexNet", "The networks", "AlexNet", trains=True),
    Page("vgg", "VGG", "The networks", "VGG", trains=True, sections=("vgg_further",)),
    Page("inception", "GoogLeNet and the Inception family", "The networks",
         "GoogLeNet (Inception)", trains=True, sections=("inception_later",)),
    Page("resnet", "ResNet and ResNeXt", "The networks", "ResNet", trains=True,
         sections=("resnet_variants",)),
    Page("mobilenet", "Xception and MobileNet", "The networks", "MobileNet", trains=True,
         sections=("mobilenet_v2",)),
    Page("comparison", "All the networks side by side", "Side by side"),
    Page("references", "References", "Reference"),
)

#: the chapters that train and save results, in the book's order (their results names)
CHAPTERS = tuple(p.name for p in PAGES if p.trains)

#: how each of those chapters names its network in tables
TITLES = {p.name: p.title for p in PAGES if p.trains}


def page(name):
    """The page called `name`; an unknown name is an error that lists the known ones."""
    for p in PAGES:
        if p.name == name:
            return p
    raise ValueError(f"no page {name!r} in the book; its pages are "
                     f"{', '.join(p.name for p in PAGES)}")


def chapter(name):
    """The training chapter `name` (one of `CHAPTERS`)."""
    if name not in CHAPTERS:
        raise ValueError(f"{name!r} is not one of the book's training chapters "
                         f"({', '.join(CHAPTERS)})")
    return page(name)


def rank(name):
    """Position of a results name in the book's order; other names come after every chapter."""
    return CHAPTERS.index(name) if name in CHAPTERS else len(CHAPTERS)


def toc():
    """The table of contents as _toc.yml holds it (Jupyter Book's ``jb-book`` format)."""
    parts = []
    for p in PAGES:
        if not parts or parts[-1]["caption"] != p.part:
            parts.append({"caption": p.part, "chapters": []})
        entry = {"file": p.file}
        if p.sections:
            entry["sections"] = [{"file": f"book/{s}"} for s in p.sections]
        parts[-1]["chapters"].append(entry)
    return {"format": "jb-book", "root": f"book/{ROOT}", "parts": parts}
