"""d2lcnn.compare: the architecture table, the chapters' results rows, the fine-tuning helpers it
re-exports (tested in test_finetune.py), and GluonCV's counts."""
import json
import os

import mxnet as mx
import pytest

import d2lcnn
from d2lcnn import compare
from d2lcnn.registry import list_models, model_info
from helpers import import_reference


def test_architecture_table_small_models_match_the_registry():
    rows = compare.architecture_table(["lenet", "mobilenet_v1"])
    assert [r.name for r in rows] == ["lenet", "mobilenet_v1"]  # sorted by year
    for r in rows:
        info = model_info(r.name)
        assert r.params == info.expected_params
        assert r.num_classes == info.num_classes
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


def test_fine_tuning_helpers_are_reexported_for_the_chapter():
    from d2lcnn import finetune
    assert (compare.class_subset, compare.freeze, compare.replace_output) == \
        (finetune.class_subset, finetune.freeze, finetune.replace_output)
    assert d2lcnn.freeze is finetune.freeze and d2lcnn.class_subset is finetune.class_subset


def test_gluoncv_resnet18_count_equals_ours():
    import_reference("gluoncv")
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
