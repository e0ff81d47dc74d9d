"""Every ```python block of the README's "From Python" section runs, in order, in one namespace,
from a scratch folder that sees the repository's examples/ (the blocks read
examples/data/penguins.csv and write model.safetensors)."""

import os
import re
import warnings

from test_estimators import ROOT


def python_blocks():
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## From Python\n")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    blocks = python_blocks()
    assert len(blocks) >= 4
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    # What the blocks say they give.
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in printed] == ["none", "l2"]
    assert [round(float(line.split()[1]), 3) for line in printed] == [0.914, 0.943]
    assert namespace["grid"].best_params_ == {"alpha": 1e-3}
    assert namespace["est"].coefs_[0].shape == (30, 16)
    assert os.path.isfile(tmp_path / "model.safetensors")
