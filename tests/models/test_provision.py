"""Assembling and verifying default weights: never overwrite or delete what is there."""

import hashlib

import pytest

from datasette_llm.errors import ModelNotReady
from datasette_llm.models import provision
from datasette_llm.models.provision import WeightFile, assemble, file_state, require_file

pytestmark = pytest.mark.no_datasette


@pytest.fixture
def fake_weight(tmp_path, monkeypatch):
    parts = []
    for i in range(3):
        part = tmp_path / "pkg" / f"part{i}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(bytes([i]) * 1000)
        parts.append(part)
    content = b"".join(p.read_bytes() for p in parts)
    weight = WeightFile(
        "model/fake.gguf", len(content), hashlib.sha256(content).hexdigest(), ("fake-package==1.0",), ()
    )
    monkeypatch.setattr(provision, "_source_files", lambda w: parts)
    monkeypatch.setattr(provision, "_pip_install", lambda *a: pytest.fail("must not pip install"))
    return weight, content


def test_assemble_then_skip(tmp_path, fake_weight):
    weight, content = fake_weight
    models = tmp_path / "models"
    assert assemble(models, weight, log=lambda m: None) == "assembled"
    assert (models / weight.relative_path).read_bytes() == content
    assert not list(models.rglob("*.partial"))
    assert assemble(models, weight, log=lambda m: None) == "verified"
    assert require_file(models, weight) == models / weight.relative_path


def test_mismatch_is_refused_and_left_alone(tmp_path, fake_weight):
    weight, _ = fake_weight
    target = tmp_path / "models" / weight.relative_path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"the user's own file")
    with pytest.raises(ModelNotReady) as info:
        assemble(tmp_path / "models", weight, log=lambda m: None)
    assert "left untouched" in info.value.message and "Move or delete" in info.value.message
    assert target.read_bytes() == b"the user's own file"
    with pytest.raises(ModelNotReady) as info:
        require_file(tmp_path / "models", weight)
    assert "setup-scripts/models.sh" in info.value.message


def test_changed_file_is_detected_despite_stamp(tmp_path, fake_weight):
    weight, _ = fake_weight
    models = tmp_path / "models"
    assemble(models, weight, log=lambda m: None)
    target = models / weight.relative_path
    data = bytearray(target.read_bytes())
    data[10] ^= 0xFF
    target.write_bytes(bytes(data))
    assert file_state(models, weight) == "mismatch"


def test_damaged_source_is_reported(tmp_path, fake_weight, monkeypatch):
    weight, _ = fake_weight
    bad = WeightFile(weight.relative_path, weight.size, "0" * 64, weight.packages, ())
    with pytest.raises(ModelNotReady) as info:
        assemble(tmp_path / "models", bad, log=lambda m: None)
    assert "reinstall" in info.value.message
    assert not (tmp_path / "models" / weight.relative_path).exists()


def test_provision_writes_notice_and_keeps_other_files(tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "my-own-model.gguf").write_bytes(b"mine")
    monkeypatch.setattr(provision, "DEFAULT_FILES", ())
    provision.provision(models, log=lambda m: None)
    assert "Apache License 2.0" in (models / "NOTICE").read_text()
    assert (models / "my-own-model.gguf").read_bytes() == b"mine"


def test_real_default_files_are_verified(settings):
    for weight in provision.DEFAULT_FILES:
        assert file_state(settings.models_dir, weight) == "ok"
