"""All the networks side by side: the closing chapter's tables, and a few tools to reuse.

* `architecture_table` builds every registered network at its paper's configuration (input
  size and channels as registered, the registry's class count: 1000 for the ImageNet networks)
  and measures it with `summary`: parameters, MACs, activation memory, depth.
* `PUBLISHED_TOP1` holds the ImageNet top-1 accuracies the papers *state*: quotations, with the
  table or section they come from, never computed here.
* `results_rows` reads the chapters' Fashion-MNIST results (`load_results`) into uniform rows,
  whatever subset of chapters has run, and whatever keys an older file lacks.
* `class_subset`, `freeze` and `replace_output` (the fine-tuning experiment's data and
  network surgery) live in `d2lcnn.finetune`; this module re-exports them for the chapter.
* `gluoncv_params` counts the parameters of a GluonCV model-zoo network offline (no weights).
* `quiet_native_log` holds back the known informational lines MXNet's C++ library writes to the
  process's stderr (e.g. "MKLDNN Pooling: training with prop_kind is forward_scoring").
"""
import dataclasses
from typing import Optional

from .finetune import class_subset, freeze, replace_output  # noqa: F401  (re-exported)
from .native_log import BENIGN_NATIVE_LINES, quiet_native_log  # noqa: F401  (re-exported)
from .recipes import CHAPTERS  # noqa: F401  (re-exported)

__all__ = ["ArchRow", "Published", "PUBLISHED_TOP1", "CHAPTERS", "CHAPTER_TITLES",
           "RESULT_KEYS", "architecture_table", "results_rows", "class_subset", "freeze",
           "replace_output", "gluoncv_params", "GLUONCV_NAMES", "quiet_native_log"]


# ------------------------------------------------------------------------ published figures
@dataclasses.dataclass(frozen=True)
class Published:
    """An ImageNet (ILSVRC-2012 validation) top-1 accuracy as a paper states it: a quotation."""

    top1: float       # percent; 100 - the stated top-1 error where the paper gives errors
    protocol: str     # how the paper evaluated: crops, scales
    cite: str         # key in book/references.bib
    where: str        # table / configuration in the paper


#: Quoted from the papers (the key of each is in ``cite``; ``where`` names the table). Models
#: whose paper gives no single-model top-1 figure for that exact network are absent: GoogLeNet
#: (Szegedy et al. 2015 report top-5 errors only), d2l's variants, LeNet (not an ImageNet
#: network), the BatchNorm VGGs, d2l's single-tower AlexNet and ResNeXt-101 (32x8d).
#: Protocols differ (one crop, ten crops, one scale): compare within a paper, not across.
PUBLISHED_TOP1 = {
    "alexnet_grouped": Published(59.3, "1 CNN, ILSVRC-2012 val (top-1 error 40.7%)",
                                 "krizhevsky2012imagenet", "Table 2, 1 CNN"),
    "vgg11": Published(70.4, "single scale, S = Q = 256 (error 29.6%)",
                       "simonyan2015very", "Table 3, configuration A"),
    "vgg11_lrn": Published(70.3, "single scale, S = Q = 256 (error 29.7%)",
                           "simonyan2015very", "Table 3, configuration A-LRN"),
    "vgg13": Published(71.3, "single scale, S = Q = 256 (error 28.7%)",
                       "simonyan2015very", "Table 3, configuration B"),
    "vgg16_c": Published(71.9, "single scale, S = Q = 256 (error 28.1%)",
                         "simonyan2015very", "Table 3, configuration C"),
    "vgg16": Published(73.0, "single scale, S = Q = 256 (error 27.0%)",
                       "simonyan2015very", "Table 3, configuration D"),
    "vgg19": Published(72.7, "single scale, S = Q = 256 (error 27.3%)",
                       "simonyan2015very", "Table 3, configuration E"),
    "inception_v3": Published(78.8, "single crop (error 21.2%)",
                              "szegedy2016rethinking", "Table 3, Inception-v3"),
    "inception_v4": Published(80.0, "single crop (error 20.0%)",
                              "szegedy2017inception", "Table 2, Inception-v4"),
    "inception_resnet_v2": Published(80.1, "single crop (error 19.9%)",
                                     "szegedy2017inception", "Table 2, Inception-ResNet-v2"),
    "resnet18": Published(72.12, "10-crop (error 27.88%); shortcut option A",
                          "he2016deep", "Table 2, ResNet-18"),
    "resnet34": Published(75.48, "10-crop (error 24.52%); shortcut option B",
                          "he2016deep", "Table 3, ResNet-34 B"),
    "resnet50": Published(77.15, "10-crop (error 22.85%)", "he2016deep",
                          "Table 3, ResNet-50"),
    "resnet101": Published(78.25, "10-crop (error 21.75%)", "he2016deep",
                           "Table 3, ResNet-101"),
    "resnet152": Published(78.57, "10-crop (error 21.43%)", "he2016deep",
                           "Table 3, ResNet-152"),
    "resnext50_32x4d": Published(77.8, "single 224 crop (error 22.2%)",
                                 "xie2017aggregated", "Table 3, ResNeXt-50 (32x4d)"),
    "xception": Published(79.0, "single crop (top-1 0.790)", "chollet2017xception",
                          "Table 1, Xception"),
    "mobilenet_v1": Published(70.6, "single crop", "howard2017mobilenets",
                              "Table 8, 1.0 MobileNet-224"),
    "mobilenet_v2": Published(72.0, "single crop", "sandler2018mobilenetv2",
                              "Table 4, MobileNetV2"),
}


# ------------------------------------------------------------------------------ architectures
@dataclasses.dataclass(frozen=True)
class ArchRow:
    """One registered network at its paper's configuration, as `summary` measured it."""

    name: str
    family: str
    year: Optional[int]
    input_size: int
    in_channels: int
    num_classes: int
    params: int               # trainable parameters
    total_params: int         # with BatchNorm's running statistics
    macs: int                 # multiply-accumulates per image
    activation_bytes: int     # outputs of the layers, per image (float32)
    depth: int                # convolution and dense layers called (summary's definition)
    published: Optional[Published] = None

    @property
    def top1(self):
        return None if self.published is None else self.published.top1


def architecture_table(names=None, *, num_classes=None):
    """An `ArchRow` per registered network (all of them by default, sorted by year then name).

    Each is built with ``get_model(name, num_classes=...)`` (the registry's class count unless
    `num_classes` is given) and measured by one forward pass of `summary` at the registered
    input size and channels. Nothing is typed in: every figure comes from the built network,
    except ``published``, a quotation from `PUBLISHED_TOP1`. `d2lcnn.tables.architecture_frame`
    shows the rows as a table.
    """
    from .registry import get_model, list_models, model_info
    from .summary import summary
    rows = []
    for name in (list_models() if names is None else names):
        info = model_info(name)
        classes = info.num_classes if num_classes is None else num_classes
        s = summary(get_model(info.name, num_classes=classes),
                    (info.in_channels, info.input_size, info.input_size))
        rows.append(ArchRow(info.name, info.family, info.year, info.input_size,
                            info.in_channels, classes, s.trainable_params, s.total_params,
                            s.macs, s.activation_bytes, s.depth,
                            PUBLISHED_TOP1.get(info.name)))
    return sorted(rows, key=lambda r: (r.year or 0, r.family, r.name))


# ----------------------------------------------------------------------- the chapters' results

#: how the chapters write their networks' names (a results file may lack its "title")
from .chapters import TITLES as CHAPTER_TITLES  # noqa: E402  (the one list of chapters)

#: the keys a chapter's results file holds (older files may lack title, year, paper_model)
RESULT_KEYS = ("model", "model_options", "recipe", "device", "params", "macs", "input_size",
               "test_acc", "train_acc", "epochs", "seconds", "seconds_per_epoch",
               "examples_per_sec", "title", "year", "paper_model")


def results_rows(results):
    """The chapters' results (``load_results()``) as a list of dicts with every key of
    `RESULT_KEYS`, in the book's order. A missing key is None, except ``title`` (from
    `CHAPTER_TITLES`, else the chapter's name capitalised) and ``year`` (the registry's year
    of ``model``), which are filled in; ``chapter`` is added."""
    from .errors import UnknownModelError
    from .registry import model_info
    order = {c: i for i, c in enumerate(CHAPTERS)}
    rows = []
    for chapter in sorted(results, key=lambda c: (order.get(c, len(order)), c)):
        data = results[chapter]
        row = {"chapter": chapter, **{k: data.get(k) for k in RESULT_KEYS}}
        if row["title"] is None:
            row["title"] = CHAPTER_TITLES.get(chapter, chapter[:1].upper() + chapter[1:])
        if row["year"] is None and row["model"]:
            try:
                row["year"] = model_info(row["model"]).year
            except UnknownModelError:
                pass
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------- GluonCV
#: our registry name -> the GluonCV model-zoo name of the same network (pretrained ImageNet
#: weights exist for these in GluonCV's zoo): the same parameter count, except mobilenet_v2,
#: whose GluonCV classifier is a 1x1 convolution without bias (1,000 parameters fewer; see
#: tests/test_models_mobilenet.py). Our ResNets are GluonCV's "v1b" (stride on the 3x3, no
#: convolution biases; tests/test_models_resnet.py compares their outputs); GluonCV's
#: "resnet50_v1" and deeper put the stride on the 1x1 and add biases to the 1x1 convolutions.
#: GluonCV's "alexnet" and "googlenet" are other variants than ours (torchvision's AlexNet
#: widths; GoogLeNet with BatchNorm), so they are not listed.
GLUONCV_NAMES = {
    "inception_v3": "inceptionv3",
    "vgg11": "vgg11", "vgg13": "vgg13", "vgg16": "vgg16", "vgg19": "vgg19",
    "vgg11_bn": "vgg11_bn", "vgg13_bn": "vgg13_bn", "vgg16_bn": "vgg16_bn",
    "vgg19_bn": "vgg19_bn",
    "resnet18": "resnet18_v1b", "resnet34": "resnet34_v1b", "resnet50": "resnet50_v1b",
    "resnet101": "resnet101_v1b", "resnet152": "resnet152_v1b",
    "resnext50_32x4d": "resnext50_32x4d",
    "mobilenet_v1": "mobilenet1.0", "mobilenet_v2": "mobilenetv2_1.0",
}


def gluoncv_params(name, input_size=224, classes=1000):
    """Trainable parameters of GluonCV's `name` (``gluoncv.model_zoo.get_model(name)``, random
    weights, nothing downloaded), counted after one forward pass at `input_size`. GluonCV's
    models use MXNet's legacy NDArray interface, so numpy mode is switched off for the count
    and restored after. Needs gluoncv (ImportError otherwise)."""
    import mxnet as mx
    from mxnet import npx
    import gluoncv
    shape, array = mx.util.is_np_shape(), mx.util.is_np_array()
    npx.reset_np()
    try:
        net = gluoncv.model_zoo.get_model(name, pretrained=False, classes=classes)
        net.initialize()
        net(mx.nd.zeros((1, 3, input_size, input_size)))
        mx.nd.waitall()
        return sum(int(p.data().size) for p in net.collect_params().values()
                   if p.grad_req != "null")
    finally:
        if shape or array:
            npx.set_np(shape=shape, array=array)
