"""Gradient clipping: per tensor (released) against torch's clip_grad_norm_, and applied during training."""

from __future__ import annotations

import pytest
import torch

from landmarks.config_loading import load_config
from landmarks.training import module as module_file
from landmarks.training.clipping import clip_grad_norm_per_tensor_
from landmarks.training.module import LandmarkLearner

MAX_NORM = 1.0


def parameters_with_gradients() -> list[torch.nn.Parameter]:
    """Gradients with norms far above, just above, below and at zero, plus one parameter without one."""
    generator = torch.Generator().manual_seed(0)
    parameters = []
    for shape, norm in [((8, 3, 3, 3), 50.0), ((16,), 1.001), ((4, 4), 0.3), ((5,), 0.0), ((2, 2), None)]:
        parameter = torch.nn.Parameter(torch.randn(shape, generator=generator))
        if norm is not None:
            grad = torch.randn(shape, generator=generator)
            parameter.grad = grad / grad.norm() * norm
        parameters.append(parameter)
    return parameters


def test_per_tensor_clipping_matches_torch_on_each_tensor():
    parameters = parameters_with_gradients()
    expected = []
    for parameter in parameters:
        copy = torch.nn.Parameter(parameter.detach().clone())
        if parameter.grad is not None:
            copy.grad = parameter.grad.clone()
            torch.nn.utils.clip_grad_norm_([copy], MAX_NORM)
        expected.append(copy.grad)
    before = [None if p.grad is None else p.grad.clone() for p in parameters]

    clip_grad_norm_per_tensor_(parameters, MAX_NORM)

    for parameter, reference, original in zip(parameters, expected, before, strict=True):
        if original is None:
            assert parameter.grad is None
            continue
        torch.testing.assert_close(parameter.grad, reference)
        assert parameter.grad.norm() <= MAX_NORM * (1 + 1e-5)
        if original.norm() <= MAX_NORM:
            assert torch.equal(parameter.grad, original)  # small gradients untouched
        else:
            torch.testing.assert_close(parameter.grad / parameter.grad.norm(), original / original.norm())


def test_per_tensor_clipping_differs_from_global_clipping():
    per_tensor, global_ = parameters_with_gradients(), parameters_with_gradients()
    clip_grad_norm_per_tensor_(per_tensor, MAX_NORM)
    torch.nn.utils.clip_grad_norm_(global_, MAX_NORM)
    # Globally, the one large gradient shrinks every other; per tensor, the small ones keep their size.
    assert per_tensor[2].grad.norm() > 10 * global_[2].grad.norm()


@pytest.fixture
def clip_calls(monkeypatch):
    """Each clipping call in training: ``(mode, tensors or clip value, norm before, norm after)``; the
    norm is the largest per-tensor norm (per-tensor mode) or the norm of all gradients (global mode)."""
    calls = []
    per_tensor, global_ = module_file.clip_grad_norm_per_tensor_, LandmarkLearner.clip_gradients

    def global_norm(learner) -> float:
        grads = [p.grad for p in learner.model.parameters() if p.grad is not None]
        return torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item()

    def spy_per_tensor(parameters, max_norm):
        parameters = list(parameters)
        before = max(p.grad.norm() for p in parameters if p.grad is not None).item()
        per_tensor(parameters, max_norm)
        after = max(p.grad.norm() for p in parameters if p.grad is not None).item()
        calls.append(("per-tensor", len(parameters), before, after))

    def spy_global(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        before = global_norm(self)
        global_(self, optimizer, gradient_clip_val, gradient_clip_algorithm)
        calls.append(("global", gradient_clip_val, before, global_norm(self)))

    monkeypatch.setattr(module_file, "clip_grad_norm_per_tensor_", spy_per_tensor)
    monkeypatch.setattr(LandmarkLearner, "clip_gradients", spy_global)
    return calls


CLIP = 1e-3  # far below the gradients of a fresh model, so that clipping always acts


def test_per_tensor_clipping_is_applied_at_every_step(tmp_path, training, clip_calls):
    run = training.fit(tmp_path / "run", "trainer.max_steps=3", f"optim.clip={CLIP}")
    assert training.checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 3
    assert [call[0] for call in clip_calls] == ["per-tensor"] * 3
    model_parameters = len(
        list(LandmarkLearner.from_config(load_config(run / "config.yaml")).model.parameters())
    )
    for _, count, before, after in clip_calls:
        assert count == model_parameters
        assert before > CLIP and after <= CLIP * (1 + 1e-4)


def test_global_clipping_is_applied_at_every_step(tmp_path, training, clip_calls):
    training.fit(tmp_path / "run", "trainer.max_steps=3", f"optim.clip={CLIP}", "optim.clip_mode=global")
    assert [call[:2] for call in clip_calls] == [("global", CLIP)] * 3
    for _, _, before, after in clip_calls:
        assert before > CLIP and after <= CLIP * (1 + 1e-4)


def test_no_clipping(tmp_path, training, clip_calls):
    training.fit(tmp_path / "run", "trainer.max_steps=2", "optim.clip_mode=none")
    assert clip_calls == []
