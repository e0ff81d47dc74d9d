"""Python reads what shrink writes, and shrink reads what PyTorch-style code writes.

Run by .ci/run after `cargo build --release`:  python3 scripts/python_interop.py target/release/shrink
Needs numpy and safetensors (pip). Exits non-zero on the first mismatch.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

# The small sigmoid MLP of the Rust tests (crates/shrink/tests/data/moons_mlp.toml).
SPEC = (Path(__file__).resolve().parent.parent / "crates/shrink/tests/data/moons_mlp.toml").read_text()


def run(shrink, *args):
    return subprocess.run([shrink, *args], check=True, capture_output=True, text=True).stdout


def main(shrink):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "moons.csv").write_text(run(shrink, "data", "moons", "--n", "100", "--noise", "0.2", "--seed", "1"))
        (tmp / "spec.toml").write_text(SPEC)
        run(shrink, "train", "--spec", str(tmp / "spec.toml"), "--data", str(tmp / "moons.csv"), "--target", "y",
            "--out", str(tmp / "run"))
        model = tmp / "run" / "model.safetensors"

        # 1. safetensors.numpy reads the file; kernels are [in, out] as Keras' set_weights wants.
        t = load_file(str(model))
        assert t["dense_0.kernel"].shape == (2, 16) and t["dense_0.kernel"].dtype == np.float32, t["dense_0.kernel"].shape
        assert t["dense_1.kernel"].shape == (16, 1) and t["dense_1.bias"].shape == (1,)
        with safe_open(str(model), "np") as f:
            meta = f.metadata()
        spec = json.loads(meta["shrink.spec"])
        pipeline = json.loads(meta["shrink.pipeline"])
        scaler = pipeline["scaler"]
        assert [c["column"] for c in pipeline["input"]["columns"]] == ["x0", "x1"]
        assert pipeline["target"]["name"] == "y"
        assert json.loads(meta["shrink.penalties"])["dense_0.kernel"]["l2"] == 1e-3
        assert spec["layers"][0]["units"] == 16

        # 2. A numpy forward pass with the stored scaler and weights equals `shrink predict`.
        data = np.loadtxt(tmp / "moons.csv", delimiter=",", skiprows=1)
        x = (data[:, :2] - np.array(scaler["offset"])) / np.array(scaler["scale"])
        h = np.maximum(x.astype(np.float32) @ t["dense_0.kernel"] + t["dense_0.bias"], 0)
        p = 1 / (1 + np.exp(-(h @ t["dense_1.kernel"] + t["dense_1.bias"])))
        out = run(shrink, "predict", "--model", str(model), "--data", str(tmp / "moons.csv"))
        assert out.splitlines()[0] == "pred_y,class_y", out.splitlines()[0]
        predicted = np.array([float(line.split(",")[0]) for line in out.splitlines()[1:]])
        err = np.max(np.abs(predicted - p[:, 0]))
        assert err < 1e-5, f"numpy forward differs from shrink predict by {err}"

        # 3. PyTorch's nn.Linear layout ([out, in], names N.weight / N.bias) imports exactly.
        torch_like = {"0.weight": np.ascontiguousarray(t["dense_0.kernel"].T), "0.bias": t["dense_0.bias"],
                      "2.weight": np.ascontiguousarray(t["dense_1.kernel"].T), "2.bias": t["dense_1.bias"]}
        save_file(torch_like, str(tmp / "torch.safetensors"))
        run(shrink, "import", "--from-torch", str(tmp / "torch.safetensors"), "--spec", str(tmp / "spec.toml"),
            "--out", str(tmp / "imported.safetensors"))
        back = load_file(str(tmp / "imported.safetensors"))
        for name in ["dense_0.kernel", "dense_0.bias", "dense_1.kernel", "dense_1.bias"]:
            assert np.array_equal(back[name], t[name]), name
    print("interop: 3 passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/release/shrink")
