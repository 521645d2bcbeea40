"""Every registered model, parametrised over list_models(): a new model is tested as soon as it
registers. It runs at its smallest input, refuses one pixel less, and at its paper's
configuration has the published number of parameters, counted by summary() and by MXNet.

The paper configuration costs one forward pass of one image per model (shapes of deferred
layers are only known after it); the result is cached for the tests that share it.
"""
import functools
import warnings

import numpy as onp
import pytest
from mxnet import autograd, init, np, npx
from mxnet.base import MXNetError

from d2lcnn.errors import InputShapeError, NumpyModeError, UnknownModelError
from d2lcnn.models.base import Classifier
from d2lcnn.registry import PublishedCount, get_model, list_models, model_info, register_model
from d2lcnn import registry
from d2lcnn.summary import summary
from helpers import TIMM_GMACS, timm_gmacs

NAMES = list_models()


@functools.lru_cache(maxsize=None)
def paper(name):
    """(summary, (trainable, total) counted by MXNet) at the paper's classes, channels, size.
    Only these numbers are kept: the nets (up to 550 MB each) are freed."""
    info = model_info(name)
    net = get_model(name, num_classes=info.expected_classes, in_channels=info.in_channels)
    net.initialize(init.Zero())  # values do not matter here; drawing 100M random ones takes time
    s = summary(net, (info.in_channels, info.input_size, info.input_size))
    params = list(net.collect_params().values())
    framework = (sum(p.data().size for p in params if p.grad_req != "null"),
                 sum(p.data().size for p in params))
    return s, framework


def test_there_are_models():
    assert len(NAMES) >= 2 and "lenet" in NAMES


# ------------------------------------------------------------------- (a) smallest input

@pytest.mark.parametrize("name", NAMES)
def test_forward_at_smallest_input(name):
    info = model_info(name)
    c, m = info.in_channels, info.smallest_input()
    net = get_model(name, num_classes=10, in_channels=c)
    net.initialize()
    x = np.random.uniform(-1, 1, size=(2, c, m, m))
    y = net(x)
    assert y.shape == (2, 10)
    assert not onp.isnan(y.asnumpy()).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # MXNet warns about hooks when hybridizing; not here
        net.hybridize()
    onp.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-3, atol=1e-5)
    # the input check is a hook on the network itself: it still runs once hybridized
    for h, w in ((m - 1, m - 1), (m, m - 1), (m - 1, m)):  # one pixel smaller, either side
        with pytest.raises(InputShapeError, match=f"smallest size that works is {m}x{m}"):
            net(np.zeros((2, c, h, w)))
    with pytest.raises(InputShapeError, match=f"built for {c}-channel images"):
        net(np.zeros((2, c + 1, m, m)))


@pytest.mark.parametrize("name", NAMES)
def test_smallest_input_is_tight(name):
    """min_size is the smallest side that runs, not a guess: one pixel less, the network itself
    (built without the registry's input check) fails in MXNet."""
    info = model_info(name)
    c, m = info.in_channels, info.smallest_input()
    if m <= 1:
        pytest.skip("runs at 1x1: there is no smaller image")
    net = info.builder(num_classes=10, in_channels=c)
    net.initialize()
    # MXNet's operator refuses the input, or a convolution unit says it does not fit
    with pytest.raises((MXNetError, InputShapeError)) as error:
        net(np.zeros((1, c, m - 1, m - 1)))
        npx.waitall()
    if isinstance(error.value, InputShapeError):  # from a layer, not the registry's check
        assert "convolution" in str(error.value) and "too small for" not in str(error.value)


# --------------------------------------------------------- (b) summary vs the framework

@pytest.mark.parametrize("name", NAMES)
def test_summary_totals_equal_the_framework_count(name):
    s, (trainable, total) = paper(name)
    assert (s.trainable_params, s.total_params) == (trainable, total)
    assert sum(r.params for r in s.rows) == total
    assert s.macs > 0 and s.depth > 0 and s.activation_bytes > 0


# ------------------------------------------------------ (c) the paper's parameter count

@pytest.mark.parametrize("name", NAMES)
def test_parameters_at_the_papers_configuration(name):
    info = model_info(name)
    if info.expected_params is None:
        pytest.skip(f"{name} has no published parameter count (expected_params=None)")
    s, (trainable, _) = paper(name)
    assert trainable == s.trainable_params == info.expected_params, info.source


@pytest.mark.parametrize("name", sorted(TIMM_GMACS))
def test_macs_equal_timms_published_figures(name):
    """The multiply-adds at the paper's configuration, counted as timm counts them (plus 2 per
    BatchNorm output element), are timm's published GMACs (tests/helpers.py: TIMM_GMACS)."""
    s, _ = paper(name)
    assert timm_gmacs(s) == TIMM_GMACS[name]


# ------------------------------------------- (d) the registry's classes and channels (issue 19)

@pytest.mark.parametrize("name", NAMES)
def test_default_classes_and_channels_are_the_registrys(name):
    """get_model(name) alone builds the entry's class count and input channels (10 and 1 for
    the Fashion-MNIST networks, 1000 and 3 for the ImageNet ones): the output layer has that
    many units and the first convolution that many input channels."""
    info = model_info(name)
    net = get_model(name)
    assert (net.num_classes, net.in_channels) == (info.num_classes, info.in_channels)
    m = info.smallest_input()
    net.infer_shape(np.zeros((1, info.in_channels, m, m)))  # MXNet's shapes, nothing allocated
    first = next(p for p in net.collect_params().values() if len(p.shape) == 4)
    assert first.shape[1] == info.in_channels   # (out, in / groups, kh, kw), groups = 1 here
    assert net.output.weight.shape[0] == info.num_classes


def test_fashion_mnist_networks_default_to_ten_classes_and_one_channel():
    """The Fashion-MNIST networks by name, so that the test cannot follow a wrong registry."""
    for name in ("lenet", "lenet5", "googlenet_d2l"):
        assert (model_info(name).num_classes, model_info(name).in_channels) == (10, 1), name
        net = get_model(name)
        net.initialize()
        assert net(np.zeros((2, 1, 32, 32))).shape == (2, 10)
    assert summary(get_model("lenet"), (1, 28, 28)).trainable_params == 61_706   # not 145,856


def test_explicit_classes_and_channels_win():
    net = get_model("lenet", num_classes=3, in_channels=2)
    net.initialize()
    assert net(np.zeros((4, 2, 28, 28))).shape == (4, 3)
    with pytest.raises(InputShapeError, match="built for 2-channel images"):
        net(np.zeros((4, 1, 28, 28)))


@pytest.mark.parametrize("name", NAMES)
def test_every_model_is_a_classifier(name):
    net = get_model(name)
    assert isinstance(net, Classifier) and "features" in net._children \
        and "output" in net._children


@pytest.mark.parametrize("name, options", [
    ("lenet", {}), ("lenet5", {}), ("alexnet", {"width": 16}),
    ("vgg11", {"width": 16, "head": "gap"}), ("googlenet_d2l", {}), ("resnet18", {"width": 8}),
    ("mobilenet_v2", {"alpha": 0.35}), ("xception", {"middle_flow_repeats": 1})])
def test_features_then_head(name, options):
    """forward = forward_head(forward_features): the two halves fine-tuning works on."""
    info = model_info(name)
    net = get_model(name, num_classes=4, **options)
    net.initialize(init.Xavier())
    m = max(info.smallest_input(), 32)
    x = np.random.uniform(size=(2, info.in_channels, m, m))
    with autograd.predict_mode():
        features = net.forward_features(x)
        onp.testing.assert_allclose(net.forward_head(features).asnumpy(), net(x).asnumpy(),
                                    rtol=1e-5, atol=1e-6)
    assert features.ndim == 2 and features.shape[1] == net.output.weight.shape[1]


# ------------------------------------------------------------------ (e) the registry itself

def test_names_are_lower_case_and_unique():
    assert all(name == name.lower() for name in NAMES)
    assert len(set(NAMES)) == len(NAMES) and NAMES == sorted(NAMES)
    assert sorted(n for family in {model_info(n).family for n in NAMES}
                  for n in list_models(family)) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_entries_are_complete(name):
    info = model_info(name)
    assert info.name == name and info.family
    assert info.in_channels >= 1 and info.input_size >= info.smallest_input() >= 1
    if info.expected_params is not None:
        assert info.source, f"{name}: expected_params needs a source"


def test_name_family_and_defaults_come_from_the_function():
    table = {"test_registry_tiny": PublishedCount(42, "a test")}

    def test_registry_tiny(num_classes=7, in_channels=2):
        return None

    try:
        register_model(min_size=1, published=table)(test_registry_tiny)
        info = model_info("test_registry_tiny")
        assert (info.name, info.family) == ("test_registry_tiny", "test_registry")
        assert (info.num_classes, info.in_channels) == (7, 2) and info.expected_classes == 7
        assert (info.expected_params, info.source) == (42, "a test")
    finally:
        registry._REGISTRY.pop("test_registry_tiny", None)
    # inside d2lcnn.models the family is the family's module, also in a subpackage
    assert model_info("googlenet").family == model_info("inception_v4").family == "inception"
    assert model_info("googlenet").builder.__module__ == "d2lcnn.models.inception.googlenet"


def test_a_builder_without_default_classes_is_refused():
    with pytest.raises(TypeError, match="must take num_classes= with a default"):
        register_model()(lambda num_classes, in_channels=3: None)
    assert "<lambda>" not in list_models()


def test_registering_a_name_twice_raises():
    with pytest.raises(ValueError, match="registered twice"):
        register_model(NAMES[0], family="test")(lambda num_classes=10, in_channels=3: None)
    key = "test_registry_temporary_model"
    try:
        register_model(key, family="test")(lambda num_classes=10, in_channels=3: None)
        with pytest.raises(ValueError, match="registered twice"):
            register_model(key.upper(), family="test")(lambda **kwargs: None)
    finally:
        registry._REGISTRY.pop(key, None)
    assert key not in list_models()


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownModelError) as error:
        get_model("nope")
    message = str(error.value)
    assert "unknown model 'nope'" in message and not message.startswith("'")
    assert all(name in message for name in NAMES)
    assert isinstance(error.value, KeyError)


@pytest.mark.parametrize("option, hint", [("classes", "num_classes="), ("depth_of_field", "")])
def test_an_unknown_option_names_itself_and_where_the_options_are(option, hint):
    with pytest.raises(TypeError) as error:
        get_model("resnet18", **{option: 10})
    message = str(error.value)
    assert f"no option {option!r}" in message and hint in message
    assert "help(d2lcnn.models.resnet.resnet18)" in message


def test_get_model_needs_numpy_mode():
    npx.reset_np()
    try:
        with pytest.raises(NumpyModeError, match="npx.set_np()"):
            get_model(NAMES[0])
    finally:
        npx.set_np()
    assert npx.is_np_array()
