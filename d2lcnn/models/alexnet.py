"""AlexNet: Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional
Neural Networks", NIPS 2012 {cite}`krizhevsky2012imagenet`.

Five convolutions and three dense layers (Section 3.5 and Figure 2 of the paper). The paper says
224x224 inputs, but its shapes (55x55x96 after conv1, 6x6x256 = 9216 into fc6) only work out for
227x227 without padding, or for 224x224 with 2 pixels of padding on conv1. We default to the
former (``padding=0``, registered ``input_size=227``); ``padding=2`` runs the paper's 224.
*Dive into Deep Learning* feeds 224x224 images without padding, which gives 5x5x256 = 6400 into
fc6 (that is the same network at another input size, with a smaller fc6).

``alexnet`` is the single-tower network (every convolution sees all maps of the layer below);
``alexnet_grouped`` is the paper's two-GPU network: conv2, conv4 and conv5 only see the maps on
their own GPU (``groups=2``), conv3 and the dense layers connect across GPUs. Its 60,965,224
parameters are the figure usually quoted for "AlexNet (60M parameters)".

``lrn=True`` adds the paper's local response normalisation after the ReLU of conv1 and conv2,
before their max-pooling (Section 3.3). ``width=w`` divides every convolution's channels by `w`
(the book's CPU recipe uses ``width=4``); the dense layers keep their 4096 units.
"""
from mxnet.gluon import HybridBlock, nn

from ..checks import check_int, check_rate
from ..registry import PublishedCount, register_model
from .base import Classifier

__all__ = ["ALEXNET", "ALEXNET_FC", "PUBLISHED", "LRN", "AlexNet", "alexnet", "alexnet_grouped"]

#: The convolutions of Figure 2: (name, channels, kernel, stride, padding, groups in the two-GPU
#: network, local response normalisation after it?, 3x3/2 max-pooling after it?).
#: conv1's padding is the `padding` option (0 at 227x227, 2 at 224x224).
ALEXNET = (
    ("conv1", 96, 11, 4, None, 1, True, True),
    ("conv2", 256, 5, 1, 2, 2, True, True),
    ("conv3", 384, 3, 1, 1, 1, False, False),
    ("conv4", 384, 3, 1, 1, 2, False, False),
    ("conv5", 256, 3, 1, 1, 2, False, True),
)
#: The hidden dense layers (fc6, fc7); fc8 is the output layer.
ALEXNET_FC = (4096, 4096)


class LRN(HybridBlock):
    """Local response normalisation across channels (AlexNet, Section 3.3):

    b[i] = a[i] / (k + alpha * sum_{j=i-n//2}^{i+n//2} a[j]**2) ** beta,

    the sum running over the `n` adjacent channels that exist. The paper's constants are the
    defaults. Note: the paper multiplies the sum by `alpha`; Caffe's and MXNet's legacy LRN
    operator multiply by ``alpha / n``, so their ``alpha`` is `n` times this one. MXNet's NumPy
    interface has no LRN operator, so the window sum is a sum-pooling over the channel axis.
    It has no parameters.
    """

    def __init__(self, n=5, k=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1 or n % 2 != 1:
            raise ValueError(f"LRN needs an odd window size n (a whole number: 1, 3, 5, ...); "
                             f"got n={n!r}")
        for name, value in (("k", k), ("alpha", alpha), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"LRN's {name} must be a number >= 0; got {value!r}")
        self.n, self.k, self.alpha, self.beta = n, k, alpha, beta

    def hybrid_forward(self, F, x):
        # (N, C, H, W) -> (N, 1, C, H, W): pool over C with a window of n, zero-padded at both ends
        squares = F.np.expand_dims(x * x, axis=1)
        window = F.npx.pooling(squares, kernel=(self.n, 1, 1), stride=(1, 1, 1),
                               pad=(self.n // 2, 0, 0), pool_type="sum")
        window = F.np.squeeze(window, axis=1)
        return x / (self.k + self.alpha * window) ** self.beta

    def __repr__(self):
        return f"{self.__class__.__name__}(n={self.n}, k={self.k}, alpha={self.alpha}, " \
               f"beta={self.beta})"


class AlexNet(Classifier):
    """AlexNet built from a table of convolutions such as `ALEXNET`.

    ``features`` holds conv1..pool5, flatten, fc6, drop6, fc7, drop7; ``output`` is fc8 (replace
    it to fine-tune). ``grouped=True`` uses the two-GPU connection pattern (the table's groups).
    """

    def __init__(self, convs=ALEXNET, fc=ALEXNET_FC, num_classes=1000, in_channels=3,
                 padding=0, lrn=False, grouped=False, dropout=0.5, width=1, **kwargs):
        super().__init__(num_classes, in_channels, **kwargs)
        check_int(padding, "padding (of conv1)", minimum=0)
        check_rate(dropout, "dropout")
        if not (isinstance(width, int) and width >= 1) or any(row[1] % width for row in convs):
            raise ValueError(f"width divides every convolution's channels, so it must be a "
                             f"whole number that divides {[row[1] for row in convs]}; "
                             f"got {width!r}")
        if grouped:  # a grouped convolution splits its input and its output channels evenly
            ins = [in_channels] + [row[1] // width for row in convs[:-1]]
            odd = [row[0] for row, c_in in zip(convs, ins)
                   if c_in % row[5] or (row[1] // width) % row[5]]
            if odd:
                raise ValueError(f"with width={width}, the channels of {odd} do not split into "
                                 f"their groups; choose a width that leaves even channels")
        with self.name_scope():
            self.features = body = nn.HybridSequential(prefix="features_")
            with body.name_scope():  # each layer is an attribute too: net.features.conv1
                channels = in_channels
                for name, out, kernel, stride, pad, groups, norm, pool in convs:
                    n, out = name[len("conv"):], out // width
                    setattr(body, name, nn.Conv2D(
                        out, kernel, strides=stride, padding=padding if pad is None else pad,
                        groups=groups if grouped else 1, activation="relu",
                        in_channels=channels, prefix=f"{name}_"))
                    if lrn and norm:
                        setattr(body, f"lrn{n}", LRN(prefix=f"lrn{n}_"))
                    if pool:
                        setattr(body, f"pool{n}",
                                nn.MaxPool2D(pool_size=3, strides=2, prefix=f"pool{n}_"))
                    channels = out
                body.flatten = nn.Flatten(prefix="flatten_")
                units = 0  # fc6's input depends on the image size: deferred
                for i, hidden in enumerate(fc, start=6):  # `width` only narrows the convs
                    setattr(body, f"fc{i}", nn.Dense(hidden, activation="relu", in_units=units,
                                                     prefix=f"fc{i}_"))
                    setattr(body, f"drop{i}", nn.Dropout(dropout, prefix=f"drop{i}_"))
                    units = hidden
            self.output = nn.Dense(num_classes, in_units=units, prefix="output_")


def _min_size(options):
    """Three 3x3/2 poolings need 13x13 after conv1 ... i.e. 15x15 maps out of conv1 (11x11/4)."""
    return 67 - 2 * options.get("padding", 0)


def _build(num_classes=1000, in_channels=3, **options):
    return AlexNet(ALEXNET, ALEXNET_FC, num_classes=num_classes, in_channels=in_channels,
                   **options)


#: Published trainable parameters at 1000 classes and where they come from.
PUBLISHED = {
    "alexnet": PublishedCount(
        62_378_344, "closed form of the layer sizes of Krizhevsky et al. 2012 (Fig. 2) without "
        "the two-GPU grouping, at 227x227 (the single-tower count quoted for d2l's AlexNet at "
        "the paper's size); re-derived layer by layer in d2lcnn's tests"),
    "alexnet_grouped": PublishedCount(
        60_965_224, "the two-GPU AlexNet of Krizhevsky et al. 2012 (groups=2 on conv2, conv4, "
        "conv5), the count of Caffe's bvlc_alexnet widely quoted as AlexNet's '60 million "
        "parameters'; re-derived in closed form in d2lcnn's tests"),
}
_COMMON = dict(input_size=227, min_size=_min_size, published=PUBLISHED, year=2012,
               paper="krizhevsky2012imagenet")


@register_model(**_COMMON)
def alexnet(num_classes=1000, in_channels=3, **options):
    """AlexNet as one tower (as in d2l). Options: padding (conv1), lrn, dropout, width (divides
    the convolutions' channels, for the CPU recipe)."""
    return _build(num_classes, in_channels, **options)


@register_model(**_COMMON)
def alexnet_grouped(num_classes=1000, in_channels=3, **options):
    """The paper's two-GPU AlexNet: conv2, conv4, conv5 with groups=2; dense layers full."""
    return _build(num_classes, in_channels, grouped=True, **options)
