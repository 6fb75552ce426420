"""The FID Inception network: TF1 resizing and pooling, loading weights from a path or the environment, hashes."""

import numpy as np
import pytest
import torch

from ganlab.errors import GanlabError
from ganlab.metrics import FEATURES
from ganlab.metrics.inception import (
    ENV_VAR,
    FIDInception,
    load_inception,
    random_state_dict,
    resize_tf1_bilinear,
    to_uint8,
)


def test_resize_tf1_matches_independent_numpy():
    def np_resize(img, size):  # TF1 align_corners=False: src = dst · in/out, no half-pixel shift
        h, w = img.shape
        out = np.empty((size, size))
        for i in range(size):
            for j in range(size):
                y, x = i * h / size, j * w / size
                y0, x0 = int(np.floor(y)), int(np.floor(x))
                y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
                a, b = y - y0, x - x0
                out[i, j] = (1 - a) * ((1 - b) * img[y0, x0] + b * img[y0, x1]) + a * ((1 - b) * img[y1, x0] + b * img[y1, x1])
        return out

    img = np.random.default_rng(0).uniform(0, 255, (5, 7)).astype(np.float32)
    ours = resize_tf1_bilinear(torch.from_numpy(img)[None, None], size=11)[0, 0].numpy()
    np.testing.assert_allclose(ours, np_resize(img, 11), rtol=1e-5, atol=1e-4)
    # no half-pixel offset: the first output pixel is exactly the first input pixel
    assert ours[0, 0] == img[0, 0]


def test_to_uint8_rounds():
    x = torch.tensor([-1.0, -0.999, 0.0, 1.0, 2.0])
    assert to_uint8(x).tolist() == [0, 0, 128, 255, 255]


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("inception") / "random_inception.pth"
    torch.save(random_state_dict(seed=0), path)
    return path


def test_inception_loads_a_state_dict_from_a_path(weights_file):
    net = load_inception(weights_file, check_hash=False)
    assert isinstance(net, FIDInception) and len(net.sha256) == 64
    imgs = torch.rand(2, 3, 32, 32) * 2 - 1
    out = net.extract(imgs)
    assert out["features"].shape == (2, 2048) and out["logits"].shape == (2, 1008)
    assert out["features"].std() > 0 and torch.isfinite(out["logits"]).all()
    # logits are pool3 · Wᵀ without the bias (the Inception Score's reference)
    torch.testing.assert_close(out["logits"], out["features"] @ net.fc.weight.T)
    grey = net.extract(imgs[:, :1])["features"]  # (B, 1, H, W) is repeated to 3 channels
    torch.testing.assert_close(grey, net.extract(imgs[:, :1].expand(-1, 3, -1, -1))["features"])


def test_inception_refuses_a_wrong_hash(weights_file):
    with pytest.raises(GanlabError, match="6726825d"):
        load_inception(weights_file)
    with pytest.raises(GanlabError, match="6726825d"):
        FEATURES.get("inception")(weights=weights_file)


def test_inception_missing_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope.pth"))
    with pytest.raises(GanlabError) as err:
        load_inception()
    assert ENV_VAR in str(err.value) and "pt_inception-2015-12-05-6726825d.pth" in str(err.value)


def test_inception_env_var_path(weights_file, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(weights_file))
    assert load_inception(check_hash=False).sha256


def test_inception_rejects_a_foreign_state_dict(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"w": torch.zeros(3)}, path)
    with pytest.raises(GanlabError, match="state dict"):
        load_inception(path, check_hash=False)


def test_tf_average_pool_excludes_padding():
    from ganlab.metrics.inception import tf_avg_pool

    assert torch.all(tf_avg_pool(torch.ones(1, 1, 4, 4)) == 1)  # corners average 4 real ones, not 4/9


def test_inception_features_do_not_depend_on_the_batch(weights_file):
    from ganlab.metrics import evaluate

    imgs = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    other = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    common = dict(features="inception", feature_options={"weights": weights_file, "check_hash": False})
    one = evaluate(None, other, ["fid"], fake=imgs, batch_size=1, **common)["values"]["fid"]
    four = evaluate(None, other, ["fid"], fake=imgs, batch_size=4, **common)["values"]["fid"]
    assert one == pytest.approx(four, rel=1e-5)
