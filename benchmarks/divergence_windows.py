"""The loss of the first batches of the book's CPU recipes, and of d2l's sigmoid LeNet at
learning rates from 0.9 to 1e8: the data behind `train_ch6`'s test for a divergence that does
not reach NaN (`d2lcnn.divergence`, ``max_loss_ratio``).

For each run it prints, per window of --window batches, the window's mean loss over the first
batch's loss (the ratio the check uses) and the window's training accuracy. A healthy recipe
must stay far below the threshold; a learning rate that blows the network up must go far above
it with chance accuracy.

    python benchmarks/divergence_windows.py [--batches 100] [--window 50] [--data DIR]
        [--only recipes|lrs|gpu-recipes]

The recipes are those the chapters define (book/*.ipynb, CPU recipe of each), copied here as
data; reading them from the notebooks would tie this script to their layout.
"""
import argparse
import contextlib
import io
import os
import warnings

#: chapter: (model, options, resize, batch size, lr, momentum, weight decay)
CPU_RECIPES = {
    "lenet": ("lenet", {"activation": "relu", "pool": "max"}, None, 256, 0.1, 0.0, 0.0),
    "alexnet": ("alexnet", {"width": 4}, 96, 128, 0.01, 0.9, 5e-4),
    "vgg": ("vgg11", {"width": 4, "batch_norm": True}, 32, 128, 0.05, 0.9, 5e-4),
    "inception": ("googlenet_d2l", {"batch_norm": True}, 32, 128, 0.1, 0.9, 1e-4),
    "inception (no BN)": ("googlenet_d2l", {}, 32, 128, 0.1, 0.9, 1e-4),
    "resnet": ("resnet18", {"stem": "small", "width": 16}, None, 128, 0.1, 0.9, 1e-4),
    "mobilenet": ("mobilenet_v1", {"alpha": 0.5}, 56, 128, 0.05, 0.9, 4e-5),
    "lenet (d2l, sigmoid)": ("lenet", {"activation": "sigmoid", "pool": "avg"}, None, 256,
                             0.9, 0.0, 0.0),
}
#: the chapters' GPU recipes (d2l's settings, larger inputs), for --only gpu-recipes
GPU_RECIPES = {
    "lenet": ("lenet", {"activation": "sigmoid", "pool": "avg"}, None, 256, 0.9, 0.0, 0.0),
    "alexnet": ("alexnet", {}, 224, 128, 0.01, 0.0, 0.0),
    "vgg": ("vgg11", {"width": 4}, 224, 128, 0.05, 0.0, 0.0),
    "inception": ("googlenet_d2l", {}, 96, 128, 0.1, 0.0, 0.0),
    "resnet": ("resnet18", {}, 96, 256, 0.05, 0.0, 0.0),
    "mobilenet": ("mobilenet_v1", {"alpha": 1.0}, 96, 256, 0.1, 0.9, 4e-5),
}
SIGMOID_LRS = (0.9, 3, 10, 30, 100, 1e3, 1e4, 1e8)


def first_batches(model, options, resize, batch_size, lr, momentum, wd, batches, data, seed=0):
    """Per-batch (mean loss, accuracy) of the first `batches` SGD steps, as train_ch6 takes
    them (Xavier, hybridized, SGD), on the Fashion-MNIST training set."""
    import mxnet as mx
    from mxnet import autograd, gluon

    import d2lcnn
    d2lcnn.set_seed(seed)
    with contextlib.redirect_stdout(io.StringIO()):
        train_iter, _ = d2lcnn.load_data_fashion_mnist(batch_size, resize=resize, root=data,
                                                       seed=seed)
    net = d2lcnn.get_model(model, num_classes=10, in_channels=1, **options)
    net.initialize(mx.init.Xavier(), ctx=mx.cpu())
    net.hybridize(static_alloc=True, static_shape=True)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    params = {"learning_rate": lr, **({"momentum": momentum} if momentum else {}),
              **({"wd": wd} if wd else {})}
    trainer = gluon.Trainer(net.collect_params(), "sgd", params)
    out = []
    for i, (X, y) in enumerate(train_iter):
        if i == batches:
            break
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        trainer.step(X.shape[0])
        out.append((float(l.mean()), float((y_hat.argmax(axis=1).astype("int32") == y).mean())))
    return out


def windows(per_batch, size):
    """(ratio of the window's mean loss to the first batch's, window accuracy) per window."""
    first = per_batch[0][0]
    rows = []
    for start in range(0, len(per_batch), size):
        chunk = per_batch[start:start + size]
        loss = sum(l for l, _ in chunk) / len(chunk)
        rows.append((loss / first, sum(a for _, a in chunk) / len(chunk)))
    return rows


def report(label, per_batch, size):
    rows = windows(per_batch, size)
    worst = max(r for r, _ in rows)
    print(f"{label:28s} first loss {per_batch[0][0]:7.3f}  max window ratio {worst:10.3g}  "
          "windows (ratio/acc): " + " ".join(f"{r:.3g}/{a:.2f}" for r, a in rows), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--window", type=int, default=50,
                        help="batches per window (train_ch6's check_every)")
    parser.add_argument("--data", default=os.environ.get("D2LCNN_DATA"),
                        help="Fashion-MNIST folder (default: D2LCNN_DATA, else d2lcnn's search)")
    parser.add_argument("--only", choices=("recipes", "lrs", "gpu-recipes"),
                        help="the CPU recipes, the sigmoid LeNet's learning rates, or the GPU "
                             "recipes (slow on a CPU: inputs up to 224x224); default: the "
                             "first two")
    args = parser.parse_args(argv)
    if args.batches < 1 or args.window < 1:
        parser.error("--batches and --window must be 1 or more")
    warnings.simplefilter("ignore")
    import d2lcnn  # noqa: F401  (before MXNet: the runtime choice)
    from mxnet import npx
    npx.set_np()
    print(f"first {args.batches} batches, windows of {args.window}; seed 0")
    if args.only == "gpu-recipes":
        for chapter, recipe in GPU_RECIPES.items():
            report(f"{chapter} GPU recipe (lr {recipe[4]:g})",
                   first_batches(*recipe, args.batches, args.data), args.window)
        return
    if args.only != "lrs":
        for chapter, recipe in CPU_RECIPES.items():
            report(f"{chapter} (lr {recipe[4]:g})",
                   first_batches(*recipe, args.batches, args.data), args.window)
    if args.only != "recipes":
        model, options, resize, batch_size, _, _, _ = CPU_RECIPES["lenet (d2l, sigmoid)"]
        for lr in SIGMOID_LRS:
            report(f"sigmoid LeNet, lr {lr:g}",
                   first_batches(model, options, resize, batch_size, lr, 0.0, 0.0,
                                 args.batches, args.data), args.window)


if __name__ == "__main__":
    main()
