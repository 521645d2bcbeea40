"""How MXNet runs on the CPU: its operator threads and its engine, chosen before MXNet loads.

Why: MXNet 1.9.1 reads both settings once, when it is loaded, and its defaults waste small
machines. Without ``MXNET_OMP_MAX_THREADS`` or ``OMP_NUM_THREADS`` it takes the processor count
and, on x86, halves it, assuming two hardware threads per core: where each core has one thread
(most small cloud machines and CI runners) half the cores stay idle. Given every core, its
threaded engine then runs independent operators side by side (the next batch's conversion next
to the backward pass, for example), each asking for all the cores; on two cores that
oversubscription made d2l's LeNet train *slower* (about 7,500 -> 6,000 examples/s) instead of
faster. Running one operator at a time on all the cores (MXNet's ``NaiveEngine``) gave 12,000.

So ``import d2lcnn``, before MXNet is loaded, sets

* ``MXNET_OMP_MAX_THREADS`` to the physical cores this process may use (cgroup quota included);
* ``MXNET_ENGINE_TYPE=NaiveEngine`` when that is more than one thread, on Linux, and the
  installed MXNet is a CPU build (a CUDA build keeps its threaded engine: GPU work must stay
  asynchronous; `setup_colab`, which installs it after the import, undoes the choice). A
  process forked from then on (Gluon's DataLoader workers) gets one OpenMP
  thread, which keeps it from hanging (see `_one_openmp_thread_after_fork`).

Nothing is changed where the user chose: ``MXNET_OMP_MAX_THREADS``, ``OMP_NUM_THREADS`` or
``MXNET_ENGINE_TYPE`` set, or ``D2LCNN_THREADS``:

``D2LCNN_THREADS=auto``   the default described above
``D2LCNN_THREADS=mxnet``  leave MXNet's own choices (what d2l users get)
``D2LCNN_THREADS=N``      N threads (and the engine rule above)

Colab's two vCPUs are one core with two hardware threads: there it is one thread and MXNet's
own engine, as before.

The choice assumes the cores are free. On cores busy with other work, GNU OpenMP's threads spin
while they wait for each other, each holding a core its partner needs: at load average 8 on
two cores an epoch of d2l's LeNet ran at a tenth of d2l's speed. Letting them sleep
(``OMP_WAIT_POLICY=passive``) avoids that but costs the gain on free cores, and one thread was
faster still under load (`benchmarks/README.md`); d2lcnn cannot tell at import which case a
run will meet, so on a busy machine the user sets ``D2LCNN_THREADS=1``.

The serial engine has one hazard, handled here too: an array a CPU build of MXNet places on a
GPU cannot be freed under it, and the C++ error aborts the process. So, right after MXNet is
imported (or at ``import d2lcnn`` if MXNet came first), a CPU build gets
`device.install_gpu_guard`: a GPU context raises a clear error instead, whatever the engine.
"""
import glob
import importlib.abc
import importlib.metadata
import importlib.util
import math
import os
import platform
import sys

ENV = "D2LCNN_THREADS"
THREADS_ENV = "MXNET_OMP_MAX_THREADS"
OMP_ENV = "OMP_NUM_THREADS"
ENGINE_ENV = "MXNET_ENGINE_TYPE"
#: the variables d2lcnn set, as name=value;... : child processes inherit the environment, and
#: must not take a parent's choice for their user's
MARK_ENV = "D2LCNN_RUNTIME_SET"
SERIAL_ENGINE = "NaiveEngine"

#: what `init()` decided at import: threads (None: MXNet's choice), engine (None: MXNet's
#: default) and why
DECISION = {"threads": None, "engine": None, "source": "not configured"}


# --------------------------------------------------------------------------------------------
# facts about the machine


def _allowed_cpus():
    """The logical CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _core_of(cpu, sysfs):
    """(package, core) of a logical CPU from Linux's sysfs, or None where it is not readable."""
    base = os.path.join(sysfs, f"cpu{cpu}", "topology")
    try:
        with open(os.path.join(base, "physical_package_id")) as f:
            package = f.read().strip()
        with open(os.path.join(base, "core_id")) as f:
            core = f.read().strip()
    except OSError:
        return None
    return package, core


def _cgroup_cpus(root):
    """The CPU quota of this process's cgroup (v2 ``cpu.max`` or v1 ``cfs_quota``), rounded
    up, or None when there is none."""
    try:
        with open(os.path.join(root, "cpu.max")) as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else math.ceil(int(quota) / int(period))
    except (OSError, ValueError):
        pass
    for path in sorted(glob.glob(os.path.join(root, "cpu*", "cpu.cfs_quota_us"))):
        try:
            with open(path) as f:
                quota = int(f.read())
            with open(os.path.join(os.path.dirname(path), "cpu.cfs_period_us")) as f:
                period = int(f.read())
        except (OSError, ValueError):
            continue
        if quota > 0 and period > 0:
            return math.ceil(quota / period)
    return None


def physical_cores(cpus=None, sysfs="/sys/devices/system/cpu", cgroup="/sys/fs/cgroup"):
    """Physical cores among the logical CPUs `cpus` (default: those this process may use),
    capped by a cgroup CPU quota. Where the topology is unreadable, the logical count."""
    cpus = _allowed_cpus() if cpus is None else list(cpus)
    cores = [_core_of(c, sysfs) for c in cpus]
    count = len(set(cores)) if cores and None not in cores else len(cpus)
    quota = _cgroup_cpus(cgroup)
    return max(1, min(count, quota) if quota else count)


def _is_x86():
    return platform.machine().lower() in {"x86_64", "amd64", "i386", "i686", "x86"}


def mxnet_default_threads(logical=None, x86=None):
    """The thread count MXNet 1.9.1 picks when no variable is set: the logical processors,
    halved on x86 (its src/engine/openmp.cc), at least 1."""
    logical = len(_allowed_cpus()) if logical is None else logical
    x86 = _is_x86() if x86 is None else x86
    return max(1, logical >> 1 if x86 else logical)


def mxnet_has_cuda(distributions=None):
    """Whether the installed MXNet is a CUDA build (``mxnet-cu117`` ...), read from the
    installed packages without importing MXNet."""
    if distributions is None:
        distributions = [d.metadata.get("Name", "") or "" for d in
                         importlib.metadata.distributions()]
    return any(name.lower().replace("_", "-").startswith("mxnet-cu") for name in distributions)


# --------------------------------------------------------------------------------------------
# the decision


def _parse(value):
    """D2LCNN_THREADS -> 'auto', 'mxnet' or a positive int; a clear error otherwise."""
    text = value.strip().lower()
    if text in {"", "auto"}:
        return "auto"
    if text == "mxnet":
        return "mxnet"
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{ENV}={value!r} is not understood: set it to auto (physical cores), "
                         f"mxnet (MXNet's own choices) or a whole number of threads, 1 or more")
    return n


def _int_or_none(value):
    try:
        return int(str(value).split(",")[0])
    except ValueError:
        return None


def _forget_inherited(environ):
    """Drop the variables that d2lcnn, in a parent process, set (unchanged since)."""
    for item in environ.pop(MARK_ENV, "").split(";"):
        name, _, value = item.partition("=")
        if name in (THREADS_ENV, ENGINE_ENV) and environ.get(name) == value:
            del environ[name]


def configure(environ=None, modules=None, cores=None, cuda=None):
    """Choose MXNet's CPU threads and engine (see the module's docstring); return the decision.

    Writes the variables into `environ` only while MXNet is not loaded (it reads them once)
    and only those the user left unset. `modules`, `cores` and `cuda` are for tests."""
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    choice = _parse(environ.get(ENV, ""))
    if "mxnet" not in modules:
        _forget_inherited(environ)
    user_engine = environ.get(ENGINE_ENV, "").strip() or None
    for name in (THREADS_ENV, OMP_ENV):
        if environ.get(name, "").strip():
            return {"threads": _int_or_none(environ[name]), "engine": user_engine,
                    "source": f"{name} set by the user"}
    if choice == "mxnet":
        return {"threads": None, "engine": user_engine,
                "source": f"MXNet's defaults ({ENV}=mxnet)"}
    if "mxnet" in modules:
        return {"threads": None, "engine": user_engine,
                "source": "MXNet's defaults: mxnet was imported before d2lcnn, so d2lcnn could "
                          "not choose (import d2lcnn first to use every core)"}
    threads = (physical_cores() if cores is None else cores) if choice == "auto" else choice
    environ[THREADS_ENV] = str(threads)
    set_by_us = [THREADS_ENV]
    engine = user_engine
    if (engine is None and threads > 1 and platform.system() == "Linux"
            and not (mxnet_has_cuda() if cuda is None else cuda)):
        engine = environ[ENGINE_ENV] = SERIAL_ENGINE
        set_by_us.append(ENGINE_ENV)
    environ[MARK_ENV] = ";".join(f"{name}={environ[name]}" for name in set_by_us)
    what = "physical cores" if choice == "auto" else f"{ENV}={choice}"
    return {"threads": threads, "engine": engine, "source": f"{what}, set by d2lcnn",
            "engine_by_d2lcnn": ENGINE_ENV in set_by_us}


# --------------------------------------------------------------------------------------------
# the engine's one log line


ENGINE_LINE = "MXNet start using engine: "


class _AfterMXNetImport(importlib.abc.MetaPathFinder):
    """Runs `then(module)` right after ``import mxnet`` has executed, once.

    Why: MXNet creates its engine at the first operator and, when ``MXNET_ENGINE_TYPE`` is
    set, logs "MXNet start using engine: ..." on the native stderr, which Jupyter would show
    in whichever cell ran the first operator. Creating the engine straight after the import,
    with that line held back, keeps every chapter's output clean."""

    def __init__(self, then):
        self.then = then

    def find_spec(self, name, path=None, target=None):
        if name != "mxnet":
            return None
        sys.meta_path.remove(self)  # once; and find_spec below must not find us again
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run, then = spec.loader.exec_module, self.then

        def exec_module(module):
            run(module)
            then(module)
        spec.loader.exec_module = exec_module
        return spec


def _one_openmp_thread_after_fork():
    """In a child forked from this process, let OpenMP use one thread (GNU OpenMP's
    ``omp_set_num_threads``, the library MXNet's wheel links).

    Why: with the serial engine, operators run their OpenMP threads from the Python thread
    itself. A process forked from it inherits a thread team whose threads no longer exist, and
    its first parallel operator waits for them for ever (GNU OpenMP is not fork-safe): d2l's
    loader (Gluon DataLoader, ``num_workers=4``) hung, then timed out after 120 s. With one
    thread no team is needed; loader workers are many processes anyway."""
    import ctypes
    try:
        gomp = ctypes.CDLL("libgomp.so.1")
        set_threads = gomp.omp_set_num_threads
    except (OSError, AttributeError):
        return False
    os.register_at_fork(after_in_child=lambda: set_threads(1))
    return True


def _after_mxnet_import(mxnet):
    """Create the engine with its log line held back and make forked children safe (when
    d2lcnn chose the engine); on a CPU build, make a GPU context an error instead of an
    abort (`device.install_gpu_guard`)."""
    if DECISION.get("engine_by_d2lcnn"):
        from .native_log import quiet_native_log
        with quiet_native_log(benign=(ENGINE_LINE,)):
            mxnet.nd.waitall()  # creates the engine
        if DECISION["engine"] == SERIAL_ENGINE and hasattr(os, "register_at_fork"):
            DECISION["fork_safe"] = _one_openmp_thread_after_fork()
    _guard_gpu_contexts()


def _guard_gpu_contexts():
    """Install `device.install_gpu_guard`; a failure to do so is said in a warning and never
    breaks the user's ``import mxnet`` (an MXNet other than 1.9.1 may lack what it patches)."""
    try:
        from .device import install_gpu_guard
        DECISION["gpu_guard"] = install_gpu_guard()
    except Exception as error:  # noqa: BLE001 -- the user's import must go on
        DECISION["gpu_guard"] = False
        import warnings
        warnings.warn(f"d2lcnn could not install its GPU guard ({type(error).__name__}: {error}); "
                      "a GPU context on a machine without a usable GPU may abort the process",
                      RuntimeWarning, stacklevel=2)


def cpu_threads():
    """The threads MXNet's CPU operators use in this process (fixed when MXNet loaded)."""
    if DECISION["threads"] is not None:
        return DECISION["threads"]
    return mxnet_default_threads()


def describe():
    """One line for people: MXNet's CPU threads and engine, and who chose them."""
    engine = DECISION["engine"] or "ThreadedEnginePerDevice"
    return f"{cpu_threads()} CPU threads, {engine} ({DECISION['source']})"


def keep_asynchronous_engine():
    """Undo d2lcnn's serial-engine choice while MXNet is not loaded yet; True if undone.

    ``setup_colab`` calls it after installing MXNet's CUDA build: ``import d2lcnn`` ran before
    any MXNet was installed, and GPU work needs MXNet's asynchronous engine."""
    if not DECISION.get("engine_by_d2lcnn") or "mxnet" in sys.modules:
        return False
    os.environ.pop(ENGINE_ENV, None)
    if THREADS_ENV in os.environ:
        os.environ[MARK_ENV] = f"{THREADS_ENV}={os.environ[THREADS_ENV]}"
    # the hook's other task, the GPU guard, is for CPU builds only
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _AfterMXNetImport)]
    DECISION.update(engine=None, engine_by_d2lcnn=False)
    return True


def init():
    """Called once by ``import d2lcnn``."""
    DECISION.update(configure())
    if "mxnet" not in sys.modules:
        sys.meta_path.insert(0, _AfterMXNetImport(_after_mxnet_import))
    elif hasattr(sys.modules["mxnet"], "runtime"):  # loaded (not half-way through importing)
        _guard_gpu_contexts()
    return DECISION
