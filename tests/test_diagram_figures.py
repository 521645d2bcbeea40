"""The special figures: LeNet-5 as the paper's Figure 2 and C3's table, AlexNet's two towers,
Xception's three flows, and the networks side by side; each against the network it draws."""
import types

import pytest
from mxnet import init

import d2lcnn
from d2lcnn.diagram import alexnet_towers, c3_table, compare, lenet5, xception_flows
from d2lcnn.diagram.errors import DiagramError
from d2lcnn.summary import summary


def test_lenet5_as_figure_2():
    layout = lenet5().layout
    assert layout.problems() == [] and layout.width <= 525
    heads = [(d["head"], d["sub"]) for d in layout.info["layers"]]
    assert heads == [("INPUT", "32×32"), ("C1: feature maps", "6@28×28"),
                     ("S2: f. maps", "6@14×14"), ("C3: f. maps", "16@10×10"),
                     ("S4: f. maps", "16@5×5"), ("C5: layer", "120"), ("F6: layer", "84"),
                     ("OUTPUT", "10")]
    # the sizes are summary's, for the package's LeNet-5
    net = d2lcnn.get_model("lenet5", num_classes=10)
    s = summary(net, (1, 32, 32))
    last = {}
    for r in s.rows:
        last[r.name.split(".")[1] if r.name.startswith("features.") else r.name] = r
    for d in layout.info["layers"][1:]:
        key = d["path"].split(".")[1] if d["path"].startswith("features.") else d["path"]
        assert tuple(last[key].output_shape) == tuple(d["shape"])
    # one plane per feature map, drawn at its size
    planes = [b for b in layout.boxes if b.info.get("name") == "C3"]
    assert len(planes) == 16 and {b.w for b in planes} == {20.0}
    captions = {t.text for t in layout.texts}
    assert {"5×5 convolutions", "subsampling", "full connection"} <= captions


def test_c3_table_is_the_papers_table_1():
    from d2lcnn.models.lenet import C3_TABLE
    layout = c3_table().layout
    marked = {(b.info["s2"], b.info["c3"]) for b in layout.boxes
              if b.info.get("connected") and "X" in b.text}
    assert marked == {(i, j) for j, row in enumerate(C3_TABLE) for i in row}
    assert len([b for b in layout.boxes if "c3" in b.info]) == 6 * 16
    net = d2lcnn.get_model("lenet5", num_classes=10)
    s = summary(net, (1, 32, 32))
    c3 = sum(r.params for r in s.rows if r.name.startswith("features.c3."))
    assert layout.info["params"] == c3 == 1516 and layout.info["connections"] == 60
    assert layout.problems() == []
    with pytest.raises(DiagramError, match="no partial convolution"):
        c3_table("lenet")


@pytest.mark.parametrize("lrn", [False, True])
def test_alexnet_towers_exchange_where_groups_are_1(lrn):
    from d2lcnn.models.alexnet import ALEXNET
    layout = alexnet_towers(lrn=lrn).layout
    assert layout.problems() == [] and layout.width <= 525
    ungrouped = [row[0] for row in ALEXNET[1:] if row[5] == 1]    # conv1 reads the image
    assert layout.info["exchanges"] == ungrouped + ["fc6", "fc7", "output"]
    accents = [e for e in layout.edges if e.role == "accent"]
    assert len(accents) == 2 * len(ungrouped) + 2 * 2 + 2  # crossings; both towers into output
    for row in ALEXNET:
        halves = [b for b in layout.boxes if b.info.get("name") == row[0]]
        assert len(halves) == 2 and all(b.info["channels"] == row[1] // 2 for b in halves)
        assert all(f"{row[2]}×{row[2]} conv, {row[1] // 2}" in b.text for b in halves)
    assert bool([b for b in layout.boxes if b.info.get("name") == "lrn1"]) == lrn
    with pytest.raises(DiagramError, match="no convolution with groups=2"):
        alexnet_towers("alexnet")


def test_xception_flows():
    from d2lcnn.models.xception import XCEPTION
    layout = xception_flows().layout
    assert layout.problems() == [] and layout.width <= 525
    flows = layout.info["flows"]
    assert flows["middle_flow"]["count"] == len(XCEPTION["middle_flow"])
    assert any("repeated 8 times" in t.text for t in layout.texts)
    seps = [b for b in layout.boxes if b.info.get("kind") == "sepconv"]
    expected = [c for flow in ("entry_flow", "exit_flow") for row in XCEPTION[flow]
                if row[0] == "block" for c in row[1]]
    expected += list(XCEPTION["middle_flow"][0][1])           # the middle block, once
    expected += [row[1] for row in XCEPTION["exit_flow"] if row[0] == "sepconv"]
    assert sorted(b.info["channels"] for b in seps) == sorted(expected)
    assert {"from the entry flow", "from the middle flow", "input"} <= {
        t.text for b in layout.boxes for t in b.texts}
    with pytest.raises(DiagramError, match="no entry, middle and exit flows"):
        xception_flows("resnet18")


def test_compare_at_one_scale():
    names = ["lenet5", "vgg16", "googlenet", "resnet50"]
    # measurements made elsewhere: a row of architecture_table, or any summary-like object
    given = {r.name: r for r in d2lcnn.architecture_table(["lenet5"])}
    given.update({n: types.SimpleNamespace(trainable_params=d2lcnn.model_info(n).expected_params,
                                           macs=10 ** 9 * (k + 1))
                  for k, n in enumerate(names[1:])})
    layout = compare(names, summaries=given, unit=3.0).layout
    assert layout.problems() == [] and layout.width <= 525
    cols = {c["name"]: c for c in layout.info["columns"]}
    assert [cols[n]["depth"] for n in names] == [5, 16, 22, 50]
    assert cols["vgg16"]["trainable_params"] == 138_357_544
    assert cols["lenet5"]["trainable_params"] == given["lenet5"].params
    words = {t.text for t in layout.texts}
    assert {"138.4 M params", "3 G MACs", "60.85 k params"} <= words
    for n in names:
        slabs = [b for b in layout.boxes if b.info.get("network") == n]
        assert len(slabs) == cols[n]["depth"]
        assert {round(b.h, 3) for b in slabs} == {2.4}           # one height for all
        by_c = {}
        for b in slabs:
            by_c.setdefault(b.info["channels"], set()).add(round(b.w, 3))
        assert all(len(ws) == 1 for ws in by_c.values())       # one width per channel count
        widths = [next(iter(by_c[c])) for c in sorted(by_c)]
        assert widths == sorted(widths)
    with pytest.raises(DiagramError, match="list of registered model names"):
        compare("vgg16")


def test_compare_measures_with_summary_when_not_given(monkeypatch):
    import d2lcnn.summary as summary_module
    calls = []
    real = summary_module.summary

    def counting(net, shape, **kw):
        calls.append(shape)
        net.initialize(init.Zero())
        return real(net, shape, **kw)
    monkeypatch.setattr(summary_module, "summary", counting)
    layout = compare(["lenet5", "lenet"]).layout
    assert calls == [(1, 32, 32), (1, 28, 28)]
    assert [c["trainable_params"] for c in layout.info["columns"]] == [60_850, 61_706]
