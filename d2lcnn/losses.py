"""The losses `train_ch6` offers: d2l's softmax cross-entropy, and its label-smoothed form
(Inception-v3), kept apart from the loop so that a chapter can show and test them alone."""
from mxnet import gluon


def _check_smoothing(smoothing):
    if not 0.0 <= float(smoothing) < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1); got {smoothing}")
    return float(smoothing)


class LabelSmoothingCrossEntropy(gluon.loss.Loss):
    """Softmax cross-entropy against smoothed targets: ``1 - smoothing`` on the label and
    ``smoothing`` spread evenly over all classes (Szegedy et al. 2016, Inception-v3, Sec. 7).
    It equals ``(1 - s) * CE(label) + s * mean_k(-log p_k)`` for each example."""

    def __init__(self, smoothing=0.1, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._smoothing, self._axis = _check_smoothing(smoothing), axis

    def hybrid_forward(self, F, pred, label):
        log_p = F.npx.log_softmax(pred, axis=self._axis)
        nll = -F.npx.pick(log_p, label, axis=self._axis)
        uniform = -F.np.mean(log_p, axis=self._axis)
        return (1.0 - self._smoothing) * nll + self._smoothing * uniform


def make_loss(label_smoothing=0.0):
    """d2l's ``SoftmaxCrossEntropyLoss``, or its label-smoothed version."""
    if _check_smoothing(label_smoothing):
        return LabelSmoothingCrossEntropy(label_smoothing)
    return gluon.loss.SoftmaxCrossEntropyLoss()
