"""The d2l names a reader of d2l's CNN chapters uses, so that ``import d2lcnn as d2l`` works there.

Why: d2l's readers write ``d2l.corr2d``, ``d2l.plot``, ``d2l.evaluate_accuracy``, ``d2l.resnet18``
... and d2l itself cannot be installed beside today's numpy (d2l 1.0.3 pins numpy 1.23.5, which
has no Python 3.12 wheel). d2lcnn provides the names of d2l's chapters on convolutional networks
(``chapter_convolutional-neural-networks``, ``chapter_convolutional-modern``) and what they
build on: the tensor aliases (``d2l.reshape``, ``d2l.tensor`` ...), plotting (in `plotting`),
the GPU helpers, the Fashion-MNIST loader and ``train_ch6``. Each behaves as d2l's (MXNet,
NumPy interface), written for d2lcnn. Any other d2l name raises an ``AttributeError`` that says
where it lives in d2l (`missing`).
"""
import time

#: what d2lcnn covers, for error messages
SCOPE = ("d2lcnn covers d2l's chapters on convolutional networks "
         "(chapter_convolutional-neural-networks, chapter_convolutional-modern)")

# d2l's tensor aliases (its MXNet library's last lines), as functions of mxnet's np/npx
_ALIASES = {
    "size": lambda np, npx: (lambda a: a.size),
    "transpose": lambda np, npx: (lambda a: a.T),
    "sigmoid": lambda np, npx: npx.sigmoid,
    "batch_matmul": lambda np, npx: npx.batch_dot,
    "ones_like": lambda np, npx: np.ones_like,
    "ones": lambda np, npx: np.ones,
    "zeros_like": lambda np, npx: np.zeros_like,
    "zeros": lambda np, npx: np.zeros,
    "arange": lambda np, npx: np.arange,
    "meshgrid": lambda np, npx: np.meshgrid,
    "sin": lambda np, npx: np.sin,
    "sinh": lambda np, npx: np.sinh,
    "cos": lambda np, npx: np.cos,
    "cosh": lambda np, npx: np.cosh,
    "tanh": lambda np, npx: np.tanh,
    "linspace": lambda np, npx: np.linspace,
    "exp": lambda np, npx: np.exp,
    "log": lambda np, npx: np.log,
    "tensor": lambda np, npx: np.array,
    "normal": lambda np, npx: np.random.normal,
    "randn": lambda np, npx: np.random.randn,
    "rand": lambda np, npx: np.random.rand,
    "expand_dims": lambda np, npx: np.expand_dims,
    "matmul": lambda np, npx: np.dot,
    "int32": lambda np, npx: np.int32,
    "int64": lambda np, npx: np.int64,
    "float32": lambda np, npx: np.float32,
    "concat": lambda np, npx: np.concatenate,
    "stack": lambda np, npx: np.stack,
    "abs": lambda np, npx: np.abs,
    "eye": lambda np, npx: np.eye,
    "numpy": lambda np, npx: (lambda x, *args, **kwargs: x.asnumpy(*args, **kwargs)),
    "reshape": lambda np, npx: (lambda x, *args, **kwargs: x.reshape(*args, **kwargs)),
    "to": lambda np, npx: (lambda x, *args, **kwargs: x.as_in_context(*args, **kwargs)),
    "reduce_sum": lambda np, npx: (lambda x, *args, **kwargs: x.sum(*args, **kwargs)),
    "reduce_mean": lambda np, npx: (lambda x, *args, **kwargs: x.mean(*args, **kwargs)),
    "argmax": lambda np, npx: (lambda x, *args, **kwargs: x.argmax(*args, **kwargs)),
    "astype": lambda np, npx: (lambda x, *args, **kwargs: x.astype(*args, **kwargs)),
    "swapaxes": lambda np, npx: (lambda x, *args, **kwargs: x.swapaxes(*args, **kwargs)),
    "repeat": lambda np, npx: (lambda x, *args, **kwargs: x.repeat(*args, **kwargs)),
}


def alias(name):
    """d2l's tensor alias `name` (``reshape``, ``tensor``, ``reduce_sum`` ...)."""
    from mxnet import np, npx
    return _ALIASES[name](np, npx)


# ---- functions of d2l's chapters -----------------------------------------------------------

def corr2d(X, K):
    """2-D cross-correlation of the matrix `X` with the kernel `K` (d2l's ``corr2d``): output
    (h - kh + 1) x (w - kw + 1). Summed over the kernel's entries, one shifted slice of X each,
    so it is differentiable (autograd) and quick for small kernels."""
    kh, kw = K.shape
    h, w = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    if h < 1 or w < 1:
        raise ValueError(f"kernel {kh}x{kw} is larger than the input {X.shape[0]}x{X.shape[1]}")
    Y = None
    for a in range(kh):
        for b in range(kw):
            term = K[a, b] * X[a:a + h, b:b + w]
            Y = term if Y is None else Y + term
    return Y


def evaluate_accuracy(net, data_iter):
    """The accuracy of `net` on `data_iter`, batches used where they are (d2l's
    ``evaluate_accuracy``; `d2lcnn.evaluate_accuracy_gpu` moves them to the net's device)."""
    from .train import correct_count
    correct, total = 0.0, 0
    for X, y in data_iter:
        correct += float(correct_count(net(X), y))
        total += y.size
    if not total:
        raise ValueError("evaluate_accuracy: the data iterator gave no examples")
    return correct / total


def load_array(data_arrays, batch_size, is_train=True):
    """A Gluon DataLoader over the arrays in `data_arrays` (features, labels ...), shuffled when
    `is_train` (d2l's ``load_array``)."""
    from mxnet import gluon
    dataset = gluon.data.ArrayDataset(*data_arrays)
    return gluon.data.DataLoader(dataset, batch_size, shuffle=is_train)


class Benchmark:
    """``with Benchmark("what"):`` prints ``what: 0.1234 sec`` at the end (d2l's ``Benchmark``).
    Call ``npx.waitall()`` inside the block to time MXNet's asynchronous work."""

    def __init__(self, description="Done"):
        self.description = description

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.seconds = time.perf_counter() - self.start
        print(f"{self.description}: {self.seconds:.4f} sec")


def cpu():
    """The CPU context (d2l's ``cpu``)."""
    import mxnet as mx
    return mx.cpu()


def gpu(i=0):
    """The context of GPU `i` (d2l's ``gpu``); `d2lcnn.try_gpu` falls back to the CPU."""
    import mxnet as mx
    return mx.gpu(i)


def num_gpus():
    """The GPUs MXNet can run on here (d2l's ``num_gpus``; a GPU this MXNet build cannot use,
    such as a Hopper card, does not count)."""
    from .device import try_all_gpus
    return sum(d.device_type == "gpu" for d in try_all_gpus())


def resnet18(num_classes, in_channels=1):
    """d2l's ResNet-18 for small images (its multi-GPU chapters): a 3x3 stride-1 stem without
    max-pooling, then the four stages of two residual blocks, global pooling and `num_classes`
    outputs. Built by the registry (``get_model("resnet18", stem="small")``). d2lcnn's
    convolutions have no bias before BatchNorm (4,800 parameters fewer than d2l's) and its 1x1
    shortcut convolutions are followed by BatchNorm, as in the paper (1,792 more): 3,008 fewer
    in all."""
    from .registry import get_model
    return get_model("resnet18", num_classes=num_classes, in_channels=in_channels, stem="small")


# ---- where the rest of d2l lives -----------------------------------------------------------

# d2l's library names (d2l-en v1.0.3, else v0.17.6: the functions and classes saved from each
# section's MXNet code) by section, for the error message of a name d2lcnn does not provide.
_D2L_HOMES = {
    "appendix-tools-for-deep-learning/utils":
        "Accumulator Animator MaskedSoftmaxCELoss accuracy build_array_nmt download "
        "download_extract evaluate_accuracy evaluate_accuracy_gpu evaluate_loss extract "
        "get_dataloader_workers get_fashion_mnist_labels grad_clipping linreg load_array "
        "load_data_fashion_mnist load_data_nmt predict_seq2seq preprocess_nmt read_data_nmt sgd "
        "show_images squared_loss synthetic_data tokenize tokenize_nmt train_ch6 train_seq2seq "
        "truncate_pad",
    "attention-mechanisms-and-transformers/attention-scoring-functions":
        "AdditiveAttention DotProductAttention masked_softmax",
    "attention-mechanisms-and-transformers/bahdanau-attention": "AttentionDecoder",
    "attention-mechanisms-and-transformers/multihead-attention": "MultiHeadAttention",
    "attention-mechanisms-and-transformers/queries-keys-values": "show_heatmaps",
    "attention-mechanisms-and-transformers/self-attention-and-positional-encoding":
        "PositionalEncoding",
    "attention-mechanisms-and-transformers/transformer":
        "AddNorm PositionWiseFFN TransformerEncoder TransformerEncoderBlock",
    "attention-mechanisms/multihead-attention": "transpose_output transpose_qkv",
    "attention-mechanisms/transformer": "EncoderBlock",
    "builders-guide/use-gpu": "cpu gpu num_gpus try_all_gpus try_gpu",
    "computational-performance/hybridize": "Benchmark",
    "computational-performance/multiple-gpus": "split_batch",
    "computational-performance/multiple-gpus-concise": "evaluate_accuracy_gpus resnet18",
    "computer-vision/anchor":
        "assign_anchor_to_bbox box_iou multibox_detection multibox_prior multibox_target nms "
        "offset_boxes offset_inverse show_bboxes",
    "computer-vision/bounding-box": "bbox_to_rect box_center_to_corner box_corner_to_center",
    "computer-vision/image-augmentation": "train_batch_ch13 train_ch13",
    "computer-vision/kaggle-cifar10": "copyfile read_csv_labels reorg_test reorg_train_valid",
    "computer-vision/object-detection-dataset":
        "BananasDataset load_data_bananas read_data_bananas",
    "computer-vision/semantic-segmentation-and-dataset":
        "VOCSegDataset load_data_voc read_voc_images voc_colormap2label voc_label_indices "
        "voc_rand_crop",
    "convolutional-modern/resnet": "ResNeXtBlock Residual",
    "convolutional-neural-networks/conv-layer": "corr2d",
    "convolutional-neural-networks/lenet": "LeNet",
    "gaussian-processes/gp-priors": "rbfkernel",
    "generative-adversarial-networks/gan": "update_D update_G",
    "hyperparameter-optimization/sh-intro": "SuccessiveHalvingScheduler",
    "linear-classification/classification": "Classifier",
    "linear-classification/image-classification-dataset": "FashionMNIST",
    "linear-classification/softmax-regression-concise": "SoftmaxRegression",
    "linear-networks/softmax-regression-scratch": "predict_ch3 train_ch3 train_epoch_ch3",
    "linear-regression/linear-regression-concise": "LinearRegression",
    "linear-regression/linear-regression-scratch": "LinearRegressionScratch SGD",
    "linear-regression/oo-design":
        "DataModule HyperParameters Module ProgressBoard Trainer add_to_class",
    "linear-regression/synthetic-regression-data": "SyntheticRegressionData",
    "multilayer-perceptrons/kaggle-house-price": "download_all",
    "natural-language-processing-applications/natural-language-inference-and-dataset":
        "SNLIDataset load_data_snli read_snli",
    "natural-language-processing-applications/natural-language-inference-attention":
        "predict_snli split_batch_multi_inputs",
    "natural-language-processing-applications/sentiment-analysis-and-dataset":
        "load_data_imdb read_imdb",
    "natural-language-processing-applications/sentiment-analysis-rnn": "predict_sentiment",
    "natural-language-processing-pretraining/bert":
        "BERTEncoder BERTModel MaskLM NextSentencePred get_tokens_and_segments",
    "natural-language-processing-pretraining/bert-dataset":
        "_WikiTextDataset _get_mlm_data_from_tokens _get_next_sentence "
        "_get_nsp_data_from_paragraph _pad_bert_inputs _read_wiki _replace_mlm_tokens "
        "load_data_wiki",
    "natural-language-processing-pretraining/bert-pretraining": "_get_batch_loss_bert",
    "natural-language-processing-pretraining/similarity-analogy": "TokenEmbedding",
    "natural-language-processing-pretraining/word-embedding-dataset":
        "RandomGenerator batchify get_centers_and_contexts get_negatives load_data_ptb read_ptb "
        "subsample",
    "optimization/gd": "show_trace_2d train_2d",
    "optimization/minibatch-sgd": "Timer get_data_ch11 train_ch11 train_concise_ch11",
    "optimization/optimization-intro": "annotate",
    "preliminaries/calculus": "plot set_axes set_figsize use_svg_display",
    "recommender-systems/ctr": "CTRDataset",
    "recommender-systems/mf": "train_recsys_rating",
    "recommender-systems/movielens":
        "load_data_ml100k read_data_ml100k split_and_load_ml100k split_data_ml100k",
    "recommender-systems/neumf": "evaluate_ranking hit_and_auc train_ranking",
    "recommender-systems/ranking": "BPRLoss HingeLossbRec",
    "recurrent-modern/deep-rnn": "GRU",
    "recurrent-modern/encoder-decoder": "Decoder Encoder EncoderDecoder",
    "recurrent-modern/machine-translation-and-dataset": "MTFraEng show_list_len_pair_hist",
    "recurrent-modern/seq2seq": "Seq2Seq Seq2SeqEncoder bleu",
    "recurrent-neural-networks/language-models-and-dataset":
        "SeqDataLoader load_data_time_machine seq_data_iter_random seq_data_iter_sequential",
    "recurrent-neural-networks/rnn-concise": "RNN RNNLM RNNModel",
    "recurrent-neural-networks/rnn-scratch":
        "RNNLMScratch RNNModelScratch RNNScratch check_len check_shape predict_ch8 train_ch8 "
        "train_epoch_ch8",
    "recurrent-neural-networks/text-preprocessing":
        "count_corpus load_corpus_time_machine read_time_machine",
    "recurrent-neural-networks/text-sequence": "TimeMachine Vocab",
}

# d2lcnn's own way to do what some d2l names outside its scope do
_INSTEAD = {
    **dict.fromkeys(("Classifier", "Trainer", "Module", "DataModule", "HyperParameters",
                     "ProgressBoard", "add_to_class"),
                    "d2lcnn trains with functions: d2lcnn.train_ch6(net, train_iter, test_iter, "
                    "num_epochs, lr) on d2lcnn.load_data_fashion_mnist(batch_size)"),
    "FashionMNIST": "d2lcnn.load_data_fashion_mnist(batch_size, resize=...) gives its loaders",
    "LeNet": "d2lcnn.get_model('lenet', num_classes=10) builds it",
    "ResNeXtBlock": "d2lcnn.Bottleneck(..., groups=...) is the ResNeXt block",
    "train_epoch_ch3": "d2lcnn.train_ch6 trains a network on Fashion-MNIST",
}


def _home(name):
    for section, names in _D2L_HOMES.items():
        if name in names.split():
            return section
    return None


def missing(name):
    """The AttributeError for a name d2lcnn does not have, saying where d2l defines it."""
    section = _home(name)
    if section is None:
        return AttributeError(f"module 'd2lcnn' has no attribute {name!r}")
    hint = f" ({_INSTEAD[name]})" if name in _INSTEAD else ""
    return AttributeError(
        f"module 'd2lcnn' has no attribute {name!r}: {SCOPE}, and d2l.{name} belongs to d2l's "
        f"section chapter_{section} (https://d2l.ai/chapter_{section}.html){hint}. For it, use "
        f"d2l itself: pip install --no-deps d2l, then from d2l import mxnet as d2l.")


def lookup(name):
    """The d2l alias `name`, or raise the AttributeError of `missing`."""
    if name in _ALIASES:
        return alias(name)
    raise missing(name)
