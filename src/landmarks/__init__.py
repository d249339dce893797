"""Unsupervised learning of object landmarks through conditional image generation.

Jakab, Gupta, Bilen and Vedaldi, NeurIPS 2018. See the README for the command line and
``docs/`` for the design.
"""

__version__ = "0.1.0"


def load(path, *, device="cpu", regressor=None, precision="auto"):
    """A trained model ready to find landmarks on new images: ``landmarks.load(path).detect(images)``.

    Args:
        path: a run folder (its last checkpoint), a checkpoint file, a folder written by
            ``landmarks export`` (or the ``model.safetensors`` in it), or ``"hf://OWNER/NAME"``: such a
            folder on the Hugging Face Hub (needs ``pip install 'landmarks[hub]'``; cached, and read
            from the cache alone with ``HF_HUB_OFFLINE=1``).
        device: where the detector runs (``"cpu"``, ``"cuda"``).
        regressor: optional ``regressor.safetensors`` written by ``landmarks evaluate``, to also
            predict the annotated points (:meth:`~landmarks.inference.LandmarkDetector.detect_points`).
        precision: ``"auto"`` (bfloat16 autocast where the device computes it natively and fast, as in
            training; the choice is the detector's ``precision``), ``"32-true"`` or ``"bf16-mixed"``.

    Returns:
        A :class:`landmarks.inference.LandmarkDetector`; its ``detect(images)`` gives ``(N, K, 2)``
        pixel ``(x, y)`` in each original image. (Imported here on first use: ``import landmarks``
        stays light.)
    """
    from landmarks.inference.detector import load_detector

    return load_detector(path, device=device, regressor=regressor, precision=precision)
