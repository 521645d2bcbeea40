"""Build hook: install ``_d2lcnn_mxnet_hook.pth`` into site-packages beside the package.

The .pth file makes ``import mxnet`` work before ``import d2lcnn`` (see _d2lcnn_mxnet_hook.py).
A wheel's top-level files land in site-packages, so `build_py` writes the .pth into the build
directory (``pip install .``, ``pip install git+...``, a built wheel); an editable install
(``pip install -e .``, PEP 660) builds its own wheel without the build directory, so
`editable_wheel` adds the .pth to that wheel. Everything else is in pyproject.toml.
"""
import base64
import csv
import hashlib
import io
import os
import zipfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH_NAME = "_d2lcnn_mxnet_hook.pth"
# one line, run by site.py at start-up: import the hook if it is still installed, else nothing
PTH_TEXT = ('import sys; exec("try: import _d2lcnn_mxnet_hook\\n'
            'except ImportError: pass")\n')


class build_py_with_pth(build_py):
    def run(self):
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib, PTH_NAME)
            target.write_text(PTH_TEXT)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        return outputs if self.editable_mode else outputs + [str(Path(self.build_lib, PTH_NAME))]


def _record_row(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def add_to_wheel(wheel, name, data):
    """Add a top-level file to a built wheel and list it in the wheel's RECORD."""
    with zipfile.ZipFile(wheel) as zin:
        entries = [(info, zin.read(info)) for info in zin.infolist()]
    record = next(info.filename for info, _ in entries
                  if info.filename.endswith(".dist-info/RECORD"))
    tmp = f"{wheel}.tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        rows = []
        for info, content in entries:
            if info.filename != record:
                zout.writestr(info, content)
                rows.append(_record_row(info.filename, content))
        zout.writestr(name, data)
        rows += [_record_row(name, data), [record, "", ""]]
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        zout.writestr(record, text.getvalue())
    os.replace(tmp, wheel)


class editable_wheel_with_pth(editable_wheel):
    def run(self):
        super().run()
        for wheel in Path(self.dist_dir).glob("*.editable-*.whl"):  # PEP 427 build tag
            with zipfile.ZipFile(wheel) as z:
                present = PTH_NAME in z.namelist()
            if not present:
                add_to_wheel(wheel, PTH_NAME, PTH_TEXT.encode())


setup(cmdclass={"build_py": build_py_with_pth, "editable_wheel": editable_wheel_with_pth})
