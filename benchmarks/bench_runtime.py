"""MXNet's CPU runtime choices, compared on training steps alone: threads, engine, and how
OpenMP threads wait. Quicker than bench_train.py (no loader, no evaluation, no d2l), so it
can be repeated often enough to say something on a machine shared with other work.

Each configuration runs in its own process (MXNet reads these settings once, at import):
d2l's sigmoid LeNet, batch 256, hybridized with static memory, SGD, random inputs held in
memory (or the ResNet chapter's CPU network, --model resnet); after two warm-up chunks it times --chunks chunks of --steps steps and reports the
median examples/s and the CPU seconds per step. Configurations run interleaved, --repeat
times, and each ratio to the first configuration is taken within a repeat.

    python benchmarks/bench_runtime.py [--model lenet|resnet] [--repeat 3] [--chunks 5]
        [--steps 20]
        [--configs serial-2,serial-2-passive,threaded-2,threaded-1]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

#: name: (MXNet threads, engine, extra environment); d2lcnn leaves OpenMP's waiting to GNU
#: OpenMP's default (spin a while, then sleep)
CONFIGS = {
    "serial-2": (2, "NaiveEngine", {}),                  # d2lcnn's choice on two cores
    "serial-2-passive": (2, "NaiveEngine", {"OMP_WAIT_POLICY": "passive"}),
    "threaded-2": (2, "ThreadedEnginePerDevice", {}),
    "threaded-1": (1, "ThreadedEnginePerDevice", {}),    # MXNet's default on two cores
}
MARK = "@@runtime@@"


#: model: (batch size, what it is); "resnet" is the ResNet chapter's CPU recipe network, whose
#: operators are far larger than LeNet's (waking a sleeping thread weighs less there)
MODELS = {"lenet": (256, "d2l's sigmoid LeNet"),
          "resnet": (128, "ResNet-18, small stem, width 16 (the ResNet chapter's CPU recipe)")}


def build(model):
    from mxnet.gluon import nn
    if model == "resnet":
        import d2lcnn
        return d2lcnn.get_model("resnet18", num_classes=10, in_channels=1, stem="small",
                                width=16)
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, kernel_size=5, padding=2, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Conv2D(16, kernel_size=5, activation="sigmoid"),
            nn.AvgPool2D(pool_size=2, strides=2),
            nn.Dense(120, activation="sigmoid"), nn.Dense(84, activation="sigmoid"),
            nn.Dense(10))
    return net


def worker(chunks, steps, model="lenet"):
    import warnings
    warnings.simplefilter("ignore")
    import mxnet as mx
    from mxnet import autograd, gluon, np, npx
    npx.set_np()
    mx.random.seed(0)
    batch = MODELS[model][0]
    net = build(model)
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True, static_shape=True)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    loss.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.9})
    X = np.random.uniform(size=(batch, 1, 28, 28))
    y = np.array([i % 10 for i in range(batch)], dtype="int32")
    rates, cpu = [], []
    for chunk in range(chunks + 2):  # two warm-up chunks
        wall, proc = time.perf_counter(), time.process_time()
        for _ in range(steps):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch)
        mx.nd.waitall()
        if chunk >= 2:
            rates.append(batch * steps / (time.perf_counter() - wall))
            cpu.append((time.process_time() - proc) / steps)
    print(MARK + json.dumps({"rates": rates, "cpu_per_step": cpu}), flush=True)


def run(name, chunks, steps, model="lenet"):
    threads, engine, extra = CONFIGS[name]
    env = dict(os.environ, D2LCNN_THREADS=str(threads))
    for var in ("MXNET_OMP_MAX_THREADS", "OMP_NUM_THREADS", "MXNET_ENGINE_TYPE",
                "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "D2LCNN_RUNTIME_SET"):
        env.pop(var, None)
    env["MXNET_ENGINE_TYPE"] = engine
    env.update(extra)
    code = (f"import d2lcnn, sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            f"import bench_runtime; bench_runtime.worker({chunks}, {steps}, {model!r})")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")


def _load():
    try:
        return "load average %.1f %.1f %.1f" % os.getloadavg()
    except (AttributeError, OSError):
        return "load average unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--configs", default=",".join(CONFIGS),
                        help=f"comma-separated, among {', '.join(CONFIGS)}; ratios are to the "
                             f"first")
    parser.add_argument("--model", choices=sorted(MODELS), default="lenet")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.configs.split(",")]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or min(args.repeat, args.chunks, args.steps) < 1:
        parser.error(f"configs among {list(CONFIGS)}; --repeat, --chunks, --steps >= 1")
    batch, what = MODELS[args.model]
    print(f"{what}: training steps, batch {batch}, {os.cpu_count()} CPUs; {_load()} at the "
          f"start")
    results = {n: [] for n in names}
    for _ in range(args.repeat):
        for name in names:
            results[name].append(run(name, args.chunks, args.steps, args.model))
    base = names[0]
    print(f"{'config':18} {'examples/s':>11} {'per repeat':>24} {'CPU ms/step':>11} "
          f"{'vs ' + base:>22}")
    for name in names:
        per_run = [statistics.median(r["rates"]) for r in results[name]]
        cpu = statistics.median(c for r in results[name] for c in r["cpu_per_step"])
        ratios = sorted(a / statistics.median(b["rates"])
                        for a, b in zip(per_run, results[base]))
        print(f"{name:18} {statistics.median(per_run):11,.0f} "
              f"{', '.join(f'{x:,.0f}' for x in per_run):>24} {1000 * cpu:11.1f} "
              f"{statistics.median(ratios):>8.2f}x [{ratios[0]:.2f}, {ratios[-1]:.2f}]")
    print(f"{_load()} at the end; examples/s: median over chunks, then over repeats")


if __name__ == "__main__":
    main()
