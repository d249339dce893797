"""Every setting of an experiment, as typed frozen dataclasses.

The YAML files in ``configs/`` mirror these classes field for field (see :mod:`landmarks.config_loading`
for reading, merging and overriding them). Defaults are the paper's sizes with the optimiser and
warps of the authors' released code; each field says which source it follows where the two differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the detector Phi, the appearance encoder and the generator Psi (paper sec. 4.1)."""

    image_size: int = 128  # H = W of the network input; a power of two from 32 to 256
    num_landmarks: int = 10  # K
    base_width: int = 32  # channels of the first detector/encoder block; doubled per block
    generator_width: int = 256  # channels of the generator's first block; halved per block
    generator_min_width: int = 32  # the generator never goes narrower than this
    heatmap_size: int = 16  # side of the score maps S_k and of the Gaussian maps
    gaussian_sigma: float = 0.1  # in [-1, 1] units
    # "released": exp(-d^2 / sigma^2) (std = sigma / sqrt 2); "paper": eq. 2, exp(-d^2 / (2 sigma^2))
    gaussian_form: Literal["released", "paper"] = "released"
    # "separable": the released variant (average over the other axis, 1-D softmax);
    # "spatial": eq. 1, the expectation under a 2-D softmax
    soft_argmax: Literal["separable", "spatial"] = "separable"
    init_std: float = 0.01  # N(0, init_std) for every conv weight (paper and released)
    batchnorm_momentum: float = 0.01  # PyTorch convention; the released TF momentum 0.99
    batchnorm_eps: float = 1e-3  # released (TF default)
    # "paper": the paper's detector, trained from scratch; "mobilenet_v2": ImageNet MobileNetV2's first
    # blocks, frozen, under two trainable convs (models/pretrained_trunk.py; not the paper's)
    detector: Literal["paper", "mobilenet_v2"] = "paper"
    detector_weights: str | None = None  # mobilenet_v2: torchvision's file; null: the pip-installed one
    # "keypoints": the paper's; "dense": Table 2's ablation, a bottleneck_dim code from one fc layer in
    # place of the keypoints (models/dense_bottleneck.py; num_landmarks is then unused)
    bottleneck: Literal["keypoints", "dense"] = "keypoints"
    bottleneck_dim: int = 20  # d of the dense bottleneck (Table 2: 10, 20, 60); even


@dataclass(frozen=True)
class WarpConfig:
    """One thin-plate-spline warp's random parameters (REFERENCE sec. 1, released defaults)."""

    rotation_std: float = 0.0  # degrees
    scale_std: float = 0.0  # scale factor 1 + N(0, 1) * scale_std
    translation_std: float = 0.1  # [-1, 1] units, per axis
    warp_std: tuple[float, float] = (0.001, 0.005)  # (s1, s2) of the kernel weights


@dataclass(frozen=True)
class PhotometricConfig:
    """Random colour, contrast, grey, blur and noise changes of each pair, the same on both of its
    images (:mod:`landmarks.data.photometric`). NOTE(paper): none in the paper or the released code
    (all zero, the default); successors use them on real images (docs/method.md)."""

    brightness: float = 0.0  # added, uniform in +-brightness ([0, 1] image range)
    contrast: float = 0.0  # factor uniform in 1 +- contrast
    saturation: float = 0.0  # factor uniform in 1 +- saturation
    hue: float = 0.0  # rotation uniform in +-hue half turns (0.5: any hue)
    grey_probability: float = 0.0  # chance that a pair becomes grey
    blur_probability: float = 0.0  # chance of a Gaussian blur of sigma uniform in (0, blur_sigma] pixels
    blur_sigma: float = 1.0  # largest blur sigma in pixels (see blur_probability)
    noise_std: float = 0.0  # Gaussian noise, standard deviation uniform in [0, noise_std], per image

    @property
    def is_identity(self) -> bool:
        """True when no change can happen (every strength and probability zero)."""
        return not any(value for name, value in vars(self).items() if name != "blur_sigma")


@dataclass(frozen=True)
class PairsConfig:
    """How a training pair (source, target) is made from one still image."""

    target_warp: WarpConfig = field(default_factory=WarpConfig)
    source_warp: WarpConfig = field(
        default_factory=lambda: WarpConfig(
            rotation_std=5.0, scale_std=0.1, translation_std=0.1, warp_std=(0.001, 0.01)
        )
    )
    control_grid: int = 10  # control points per side of the TPS grid
    boundary_mask: bool = True  # discount the loss near and beyond the image border (supp. sec. 2)
    # TPS-warp both images of a video or multi-view pair too (target warp, then source warp on the source)
    warp_video_pairs: bool = False
    # Images arrive at supersample x model.image_size; pairs are made there, then each supersample x
    # supersample block is averaged down to the model's size. For small models: bilinear resampling at
    # 32 px (twice for the source) blurs 2-pixel features that the images to detect show sharp.
    supersample: int = 1
    photometric: PhotometricConfig = field(default_factory=PhotometricConfig)


@dataclass(frozen=True)
class LossConfig:
    """The reconstruction loss (paper sec. 3.2, Table 2)."""

    kind: Literal["perceptual", "l1", "l2"] = "perceptual"  # perceptual (paper); l1, l2: pixel losses
    # vgg19: paper ("sup."); vgg16: the released layout; colorization-vgg16-h5: the released
    # colourisation network ("selfsup"); mobilenet_v2: a light ImageNet network (docs/loss-networks.md)
    network: Literal["vgg19", "vgg16", "colorization-vgg16-h5", "mobilenet_v2"] = "vgg19"
    weights: str | None = None  # local file: torchvision state dict (.pth/.safetensors) or the HDF5 file
    random_weights: bool = False  # only for tests and smoke runs: a warning is printed
    # None: "input" and the network's standard five layers (VGG: conv1_2 ... conv5_2, as released)
    layers: tuple[str, ...] | None = None
    # None: the standard layers' means (VGG: 100, 1.6, 2.3, 1.8, 2.8, 100 as released); needed with layers
    initial_means: tuple[float, ...] | None = None
    # resize images to this side before the loss network (None: as they are); for small models, e.g. 64
    # for a 32 px model, so that the network's early layers resolve its features
    network_input_size: int | None = None
    mean_momentum: float = 0.01  # released code: m <- m + 0.01 (e - m)
    scale: float = 1000.0  # released code: loss = 1000 * sum_l e_l / m_l
    # l1, l2 only: "running-mean": scale * e / m like the perceptual loss (steadier with the released
    # optimiser); "released": the released code's raw scale * e / 255 (Table 2's ablation configs)
    pixel_scaling: Literal["running-mean", "released"] = "running-mean"
    # > 0: add a PatchGAN adversarial term with this constant weight from the first step (Table 2's
    # "adv." rows; losses/adversarial.py; the paper gives no weight or schedule); 0: none
    adversarial_weight: float = 0.0


@dataclass(frozen=True)
class DataConfig:
    """Where training images come from and how they are brought to the model's input size."""

    # video-folder, frame-folders, multi-view: ready pairs of frames or views (docs/data.md);
    # a dataset name: that dataset as distributed, with its splits (docs/datasets.md);
    # shards: the WebDataset shards `landmarks shard` wrote from any of these, streamed (docs/scaling.md)
    source: Literal[
        "synthetic-faces", "synthetic-wild-faces", "synthetic-bodies", "image-folder", "video-folder",
        "frame-folders", "multi-view", "shards",
        "celeba", "celeba-released", "aflw", "svhn", "bbc-pose", "human36m", "voxceleb", "smallnorb",
        "smallnorb-animal", "smallnorb-human", "smallnorb-airplane", "smallnorb-truck", "smallnorb-car",
    ] = "synthetic-faces"
    root: str | None = None  # folder of images or videos; for "multi-view" also an image,group CSV
    # "stretch": resize to image_size ignoring aspect; "center-crop": shorter side to
    # resize_to (or image_size), then the central square; "stretch-crop": resize_to x resize_to
    # ignoring aspect, then the central square (CelebA: 160 then 128)
    resize: Literal["stretch", "center-crop", "stretch-crop"] = "stretch"
    resize_to: int | None = None  # e.g. 160 for CelebA -> 128 crop (REFERENCE sec. 4)
    synthetic_count: int = 20000  # images of the built-in synthetic (or wild synthetic) faces for training
    synthetic_seed: int = 0  # which collection of synthetic images or videos (0, 1, ... are disjoint)
    synthetic_videos: int = 2000  # synthetic-bodies: training videos (docs/data.md)
    synthetic_video_frames: int = 100  # synthetic-bodies: frames per video
    batch_size: int = 50  # per process (released: 50 on one GPU)
    num_workers: int = 2  # data loading processes
    # prepare every training image once, before training, in num_workers processes, and keep them in
    # memory as 8-bit RGB (N x 3 x S x S bytes): no decoding or drawing during training (the demo)
    preload: bool = False
    validation_count: int = 64  # held-out images for validation losses and image grids
    frame_gap: tuple[int, int] = (3, 30)  # frames between a video pair's two frames (Human3.6M)
    boxes: str | None = None  # CSV of crop boxes per video frame (video,frame,x0,y0,x1,y1 in pixels)
    shuffle_buffer: int = 1000  # shards: training items in each data worker's shuffle buffer


@dataclass(frozen=True)
class OptimConfig:
    """Optimiser and schedule. Defaults follow the released code; ``configs/paper.yaml`` the paper."""

    lr: float = 1e-3  # released; paper 1e-2
    weight_decay: float = 1e-5  # released; paper 5e-4
    adam_betas: tuple[float, float] = (0.9, 0.999)  # Adam's (beta1, beta2), PyTorch's defaults
    # released: step; paper: plateau; for short runs such as the demo, over the budget (max_steps or
    # max_minutes, whichever ends first): cosine, half a cosine; anneal, constant then a linear fall
    # over the budget's last anneal_fraction
    schedule: Literal["step", "plateau", "constant", "cosine", "anneal"] = "step"
    step_every: int = 100_000  # steps between decays of the step schedule
    step_gamma: float = 0.95  # step schedule: rate multiplied by this every step_every steps (released)
    plateau_factor: float = 0.1  # plateau schedule: rate multiplied by this on a plateau (paper: x0.1)
    plateau_patience: int = 5  # validations without improvement before the plateau decay
    warmup: float = 0.0  # cosine: fraction of the budget over which the rate rises linearly from the floor
    lr_floor: float = 0.0  # cosine, anneal: final rate as a fraction of lr
    anneal_fraction: float = 0.2  # anneal: the last fraction of the budget, over which the rate falls
    # "per-tensor": clip each parameter's gradient to l2-norm <= clip (released);
    # "global": clip the concatenated gradient (paper's wording); "none"
    clip_mode: Literal["per-tensor", "global", "none"] = "per-tensor"
    clip: float = 1.0  # the l2-norm bound of clip_mode (released and paper: 1)


@dataclass(frozen=True)
class TrainerConfig:
    """Length, hardware and bookkeeping of a run (Lightning's Trainer arguments)."""

    max_steps: int = 150_000  # optimiser steps to train for (released: 100k-150k suffice)
    max_minutes: float | None = None  # wall-clock budget; training stops cleanly when spent
    seed: int = 0  # seeds torch, numpy and the data workers
    accelerator: str = "auto"  # "cpu", "gpu", "auto"
    devices: int | str = "auto"  # devices (GPUs, or CPU processes) per node: a count, "auto", or "0,1"
    num_nodes: int = 1  # machines of a multi-node run
    strategy: str = "auto"  # "ddp" for multi-process data parallel
    # batch-norm statistics over the global batch of all processes, not each process's own
    # (landmarks.nn.sync_batch_norm); only matters with several processes
    sync_batchnorm: bool = False
    # auto: bf16-mixed where the device computes bfloat16 natively and fast, else 32-true
    # (landmarks.hardware.precision); or explicitly "32-true", "bf16-mixed", "16-mixed" (GPU)
    precision: str = "auto"
    channels_last: bool = False  # channels-last memory layout of the networks (faster on some GPUs)
    compile: bool = False  # torch.compile the three networks
    # Exponential moving average of the weights (Lightning's EMAWeightAveraging), e.g. 0.999: the
    # average is what validation, checkpoints and the final model hold; null: the raw weights
    ema_decay: float | None = None
    # where scalars and image grids go: tensorboard, csv (metrics.csv, PNGs), wandb or mlflow (optional
    # extras; offline with WANDB_MODE=offline, a local file store for mlflow): landmarks.training.loggers
    logger: Literal["tensorboard", "csv", "wandb", "mlflow"] = "tensorboard"
    log_every: int = 50  # steps between scalar logs
    image_every: int = 500  # steps between image grids in TensorBoard
    val_every: int = 1000  # steps between validations
    checkpoint_every: int = 5000  # steps between periodic checkpoints (``last.ckpt`` always kept); >= 1
    # steps in a row with NaN or Inf gradients (each one skipped) that stop the run (training/nonfinite.py)
    nonfinite_limit: int = 10
    progress_bar: bool = True  # show a progress bar and the model summary
    # Start from another run's model (fit --init-from): a checkpoint, run folder or export folder; with
    # restore_optim also its optimiser state, schedule and step (checkpoints only; fine-tuning configs)
    init_from: str | None = None
    restore_optim: bool = False  # with init_from: also its optimiser state, schedule and step


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment: one YAML file resolves to exactly one of these."""

    name: str = "landmarks"  # run folders are output_dir/name-YYYYmmdd-HHMMSS
    output_dir: str = "runs"  # where new run folders are made
    model: ModelConfig = field(default_factory=ModelConfig)
    pairs: PairsConfig = field(default_factory=PairsConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
