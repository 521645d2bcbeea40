"""d2lcnn.compare: the architecture table, the chapters' results rows, the class subsets of the
fine-tuning experiment, freezing and replacing the output layer, and GluonCV's counts."""
import json
import os

import mxnet as mx
import numpy as onp
import pytest
from mxnet import autograd, np

import d2lcnn
from d2lcnn import compare
from d2lcnn.data import FashionMNISTIter
from d2lcnn.registry import get_model, list_models, model_info


def test_architecture_table_small_models_match_the_registry():
    rows = compare.architecture_table(["lenet", "mobilenet_v1"])
    assert [r.name for r in rows] == ["lenet", "mobilenet_v1"]  # sorted by year
    for r in rows:
        info = model_info(r.name)
        assert r.params == info.expected_params
        assert r.num_classes == info.expected_classes
        assert (r.input_size, r.in_channels, r.year) == (info.input_size, info.in_channels,
                                                         info.year)
        assert r.macs > 0 and r.activation_bytes > 0 and r.total_params >= r.params
    lenet, mobile = rows
    assert lenet.depth == 5 and lenet.top1 is None     # 2 conv + 3 dense
    assert mobile.depth == 28                            # Howard et al.: 28 layers
    assert mobile.top1 == 70.6 and mobile.published.cite == "howard2017mobilenets"


def test_published_figures_are_quotations_of_registered_models():
    models = set(list_models())
    bib = open(os.path.join(os.path.dirname(__file__), "..", "book", "references.bib")).read()
    for name, pub in compare.PUBLISHED_TOP1.items():
        assert name in models, name
        assert 50 < pub.top1 < 90, name
        assert "@" in bib and f"{{{pub.cite}," in bib, pub.cite
        assert pub.protocol and pub.where
        assert model_info(name).paper == pub.cite, name  # the network's own paper


def test_results_rows_order_and_missing_keys():
    results = {
        "resnet": {"model": "resnet18", "test_acc": 0.91, "title": "ResNet", "year": 2016,
                   "paper_model": "resnet18"},
        "lenet": {"model": "lenet", "test_acc": 0.88},          # an older file: no title/year
        "extra": {"model": "not_a_model"},  # a chapter of another name: after the book's
    }
    rows = compare.results_rows(results)
    assert [r["chapter"] for r in rows] == ["lenet", "resnet", "extra"]
    lenet = rows[0]
    assert set(compare.RESULT_KEYS) <= set(lenet)
    assert lenet["title"] == "LeNet" and lenet["year"] == 1998 and lenet["paper_model"] is None
    assert lenet["seconds"] is None
    assert rows[1]["title"] == "ResNet"
    assert rows[2]["year"] is None and rows[2]["title"] == "Extra"
    assert compare.results_rows({}) == []


def test_results_rows_read_saved_files(tmp_path, no_reduced_mode):
    d2lcnn.save_results("vgg", {"model": "vgg11", "test_acc": 0.9}, results_dir=tmp_path)
    rows = compare.results_rows(d2lcnn.load_results(tmp_path))
    assert rows[0]["chapter"] == "vgg" and rows[0]["year"] == 2015
    assert json.loads((tmp_path / "vgg.json").read_text())["test_acc"] == 0.9


def _iter(n=60, **kwargs):
    rng = onp.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=onp.uint8)
    labels = onp.arange(n) % 10
    return FashionMNISTIter(images, labels, 8, **kwargs)


def test_class_subset_relabels_in_the_given_order():
    source = _iter()
    sub = compare.class_subset(source, (7, 2))
    assert len(sub.images) == 12 and sorted(set(sub.labels.tolist())) == [0, 1]
    # class 7 became 0, class 2 became 1, the images kept with their labels
    for img, lab in zip(sub.images, sub.labels):
        k = [i for i in range(60) if (source.images[i] == img).all()][0]
        assert {7: 0, 2: 1}[int(source.labels[k])] == lab
    X, y = next(iter(sub))
    assert X.shape == (8, 1, 28, 28) and y.dtype == onp.int32


def test_class_subset_budget_seed_and_options():
    source = _iter(200, resize=32, max_batches=2)
    a = compare.class_subset(source, (0, 1, 2), per_class=4, seed=1, batch_size=5)
    b = compare.class_subset(source, (0, 1, 2), per_class=4, seed=1, batch_size=5)
    c = compare.class_subset(source, (0, 1, 2), per_class=4, seed=2, batch_size=5)
    assert onp.bincount(a.labels).tolist() == [4, 4, 4]
    assert (a.images == b.images).all() and not (a.images == c.images).all()
    assert a.size == (32, 32) and a.max_batches == 2 and len(a) == 2 and a.batch_size == 5
    assert next(iter(a))[0].shape == (5, 1, 32, 32)
    big = compare.class_subset(source, (3,), per_class=1000)   # more than there are: all
    assert len(big.labels) == 20
    with pytest.raises(ValueError):
        compare.class_subset(source, (3, 3))
    with pytest.raises(ValueError):
        compare.class_subset(_iter(5), (9,))


def test_freeze_and_replace_output_train_only_the_head():
    net = get_model("resnet18", num_classes=5, in_channels=1, stem="small", width=4)
    net.initialize(mx.init.Xavier())
    x = np.random.uniform(size=(4, 1, 28, 28))
    net(x)
    body = {k: v.data().copy() for k, v in net.features.collect_params().items()}
    assert compare.freeze(net.features) == len(body)
    head = compare.replace_output(net, 3)
    assert net.output is head and net(x).shape == (4, 3)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    w = head.weight.data().copy()
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    with autograd.record():
        out = loss(net(x), np.array([0, 1, 2, 0]))
    out.backward()
    trainer.step(4)
    assert not onp.allclose(head.weight.data().asnumpy(), w.asnumpy())
    for k, v in net.features.collect_params().items():
        if "running" not in k:   # BatchNorm's statistics move in training mode; weights not
            assert onp.array_equal(v.data().asnumpy(), body[k].asnumpy()), k


def test_train_ch6_fine_tunes_a_frozen_net(no_reduced_mode):
    net = get_model("lenet", num_classes=4)
    source = _iter(80)
    sub = compare.class_subset(source, (0, 1, 2, 3), seed=0)
    d2lcnn.train_ch6(net, sub, sub, 1, 0.1, seed=0, verbose=False)
    compare.freeze(net.features)
    compare.replace_output(net, 2)
    new = compare.class_subset(source, (4, 5), seed=0)
    before = {k: v.data().asnumpy().copy() for k, v in net.features.collect_params().items()}
    h = d2lcnn.train_ch6(net, new, new, 1, 0.1, seed=0, reinitialize=False, verbose=False)
    assert h.epochs == 1
    for k, v in net.features.collect_params().items():
        assert onp.array_equal(v.data().asnumpy(), before[k]), k


def test_gluoncv_resnet18_count_equals_ours():
    pytest.importorskip("gluoncv")
    import gluoncv
    known = set(gluoncv.model_zoo.get_model_list())
    assert set(compare.GLUONCV_NAMES) <= set(list_models())
    assert set(compare.GLUONCV_NAMES.values()) <= known
    assert compare.gluoncv_params("resnet18_v1") == model_info("resnet18").expected_params
    assert (compare.gluoncv_params(compare.GLUONCV_NAMES["mobilenet_v1"])
            == model_info("mobilenet_v1").expected_params)
    assert mx.util.is_np_array() and mx.util.is_np_shape()  # numpy mode restored


def test_quiet_native_log_holds_back_only_the_benign_lines(capfd):
    with compare.quiet_native_log():
        os.write(2, b"[12:00:00] MKLDNN Pooling: training with prop_kind is forward_scoring\n")
        os.write(2, b"a real native error\n")
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "forward_scoring" not in err
    assert "a real native error" in err and "after" in err


def test_quiet_native_log_passes_everything_on_after_an_exception(capfd):
    with pytest.raises(RuntimeError):
        with compare.quiet_native_log():
            os.write(2, b"what the library said before failing\n")
            raise RuntimeError("boom")
    assert "what the library said before failing" in capfd.readouterr().err
