"""Run by tests/test_recipes.py in a fresh process (not collected by pytest): train two batches
of one chapter's recipe at its real input size on the CPU, as the chapter does, and print one
JSON line with the losses, the time and the process's peak memory."""
import json
import resource
import sys
import time

import d2lcnn
import mxnet as mx
from mxnet import npx

npx.set_np()
chapter, which = sys.argv[1], sys.argv[2]
recipe = d2lcnn.chapter_recipes(chapter)[which]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
train_iter, test_iter = d2lcnn.load_data_fashion_mnist(recipe.batch_size, resize=recipe.resize,
                                                       seed=0)
net = d2lcnn.get_model(recipe.model, num_classes=10, in_channels=1, **recipe.model_options)
start = time.perf_counter()
history = d2lcnn.train_ch6(net, train_iter, None, 1, recipe.lr, mx.cpu(), seed=0,
                           optimizer_params=recipe.optimizer_params(len(train_iter)),
                           progress=False, verbose=False)
print(json.dumps({"train_loss": history.train_loss, "train_batches": history.train_batches,
                  "examples": history.examples, "seconds": time.perf_counter() - start,
                  "rss_before": before,
                  "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
