"""Models on the Hugging Face Hub: ``landmarks.load("hf://OWNER/NAME")`` and the model card of an export.

A model repository holds what ``landmarks export --hub-card`` writes (:func:`write_hub_card`):
``model.safetensors`` and ``config.yaml`` (the export, :mod:`landmarks.models.export`), ``README.md``
(the card: config, metrics, how to use it) and, when given, ``regressor.safetensors`` and
``metrics.json`` from ``landmarks evaluate``. Any hub that takes a folder can host it; uploading is
the hub's own tool (``huggingface-cli upload OWNER/NAME FOLDER``).

Downloads go through ``huggingface_hub`` (an optional extra: ``pip install 'landmarks[hub]'``) into its
usual cache; with ``HF_HUB_OFFLINE=1`` the cached snapshot is used and nothing is fetched.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import yaml

from landmarks.config_loading import to_dict
from landmarks.errors import LandmarksError, WeightsError
from landmarks.models.checkpoint import EXPORTED_CONFIG, EXPORTED_WEIGHTS, TrainedModel

HUB_SCHEME = "hf://"
CARD_FILE = "README.md"
REGRESSOR_FILE = "regressor.safetensors"
METRICS_FILE = "metrics.json"
REPOSITORY_FILES = [EXPORTED_WEIGHTS, EXPORTED_CONFIG, REGRESSOR_FILE, METRICS_FILE, CARD_FILE]


def hub_snapshot(path: str | Path) -> Path:
    """The local folder of hub model ``path`` (downloaded, or from the cache), holding the export.

    Raises:
        WeightsError: huggingface_hub is not installed, the repository or revision does not exist,
            it is not in the cache while offline, or it holds no ``model.safetensors``.
    """
    if importlib.util.find_spec("huggingface_hub") is None:
        raise WeightsError(f"{path}: hub models need huggingface_hub: pip install 'landmarks[hub]'")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    repo_id, revision = parse_hub_path(path)
    try:
        folder = Path(snapshot_download(repo_id, revision=revision, allow_patterns=REPOSITORY_FILES))
    except LocalEntryNotFoundError:
        raise WeightsError(f"{path}: not in the local hub cache, and the hub cannot be reached "
                           "(offline: HF_HUB_OFFLINE=1, or no network)") from None
    except (HfHubHTTPError, OSError, ValueError) as error:
        raise WeightsError(f"{path}: cannot get it from the hub ({' '.join(str(error).split())})") from None
    if not (folder / EXPORTED_WEIGHTS).is_file():
        raise WeightsError(f"{path}: the repository holds no {EXPORTED_WEIGHTS} (landmarks export writes it)")
    return folder


def parse_hub_path(path: str | Path) -> tuple[str, str | None]:
    """``("OWNER/NAME", revision or None)`` from ``hf://OWNER/NAME[@REVISION]``."""
    text = str(path).removeprefix(HUB_SCHEME).removeprefix("hf:/")
    repo_id, _, revision = text.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise WeightsError(f"{path}: a hub model is hf://OWNER/NAME or hf://OWNER/NAME@REVISION")
    return repo_id, revision or None


def write_hub_card(trained: TrainedModel, folder: str | Path, *, regressor: Path | None = None,
                   metrics: Path | None = None) -> list[Path]:
    """Write ``README.md`` (the model card) into an export ``folder``, copying ``regressor`` and
    ``metrics`` (``landmarks evaluate``'s ``regressor.safetensors`` and ``metrics.json``) beside it."""
    folder = Path(folder)
    written = []
    for source, name in ((regressor, REGRESSOR_FILE), (metrics, METRICS_FILE)):
        if source is None:
            continue
        if not Path(source).is_file():
            raise LandmarksError(f"{source}: file does not exist")
        written.append(Path(shutil.copyfile(source, folder / name)))
    scores = json.loads(Path(metrics).read_text(encoding="utf-8")) if metrics is not None else None
    card = folder / CARD_FILE
    card.write_text(model_card(trained, scores, has_regressor=regressor is not None), encoding="utf-8")
    return [*written, card]


def model_card(trained: TrainedModel, metrics: dict | None, *, has_regressor: bool) -> str:
    """The card's Markdown: hub metadata, what the model is, how to use it, its metrics and config."""
    config, model = trained.config, trained.config.model
    header = {"library_name": "landmarks", "license": "mit", "pipeline_tag": "keypoint-detection",
              "tags": ["unsupervised-landmarks", "keypoint-detection", "pytorch", "safetensors"]}
    lines = [
        "---", yaml.safe_dump(header, sort_keys=False).strip(), "---", "",
        f"# {config.name}: {model.num_landmarks} unsupervised landmarks", "",
        f"A landmark detector trained with the `landmarks` library (the method of Jakab et al., "
        f"NeurIPS 2018, \"Unsupervised Learning of Object Landmarks through Conditional Image "
        f"Generation\") for {trained.step} steps on `{config.data.source}`: K = {model.num_landmarks} "
        f"landmarks of {model.image_size} x {model.image_size} px inputs.", "",
        "## Use", "", "```python", "import landmarks", "",
        "model = landmarks.load(\"hf://OWNER/NAME\")  # this repository",
        "points = model.detect(images)  # (N, K, 2) pixel (x, y) in each image", "```", "",
        "or `landmarks detect hf://OWNER/NAME photos/ --output detections`.",
    ]
    if has_regressor:
        lines += ["", f"`{REGRESSOR_FILE}` maps the landmarks to annotated points: "
                      f"`landmarks.load(..., regressor=PATH)`, `landmarks detect --regressor PATH`."]
    if metrics is not None:
        lines += ["", "## Metrics", "", "From `landmarks evaluate` (`metrics.json`):", "", "```json",
                  json.dumps(metrics, indent=2), "```"]
    lines += ["", "## Config", "", "```yaml", yaml.safe_dump(to_dict(config), sort_keys=False).strip(),
              "```", "", "## Citation", "", "```bibtex",
              "@inproceedings{jakab2018unsupervised,",
              "  title = {Unsupervised Learning of Object Landmarks through Conditional Image Generation},",
              "  author = {Jakab, Tomas and Gupta, Ankush and Bilen, Hakan and Vedaldi, Andrea},",
              "  booktitle = {Advances in Neural Information Processing Systems},", "  year = {2018}",
              "}", "```", ""]
    return "\n".join(lines)
